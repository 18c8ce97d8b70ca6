// Dataset specs as the CLI's --data takes them, and small dataset helpers.
#include "data/dataset.hpp"

#include <filesystem>
#include <system_error>

namespace ganzoo::data {
namespace {

std::string folder_name(const std::filesystem::path& dir) {
    std::error_code ec;
    const std::filesystem::path path = std::filesystem::absolute(dir, ec).lexically_normal();
    return path.has_filename() ? path.filename().string() : path.parent_path().filename().string();
}

}  // namespace

// "fashion-mnist" and "fashion-mnist:DIR" read the IDX files. Anything else is an image
// folder. A folder with a train/ or test/ subfolder is split: Train reads DIR/train,
// Test reads DIR/test (a missing one is an error). A folder without them is all training
// data: Train reads the whole folder, Test is an error (there is no test split to invent).
ImageDataset load_dataset(const std::string& spec, Split split) {
    namespace fs = std::filesystem;
    const std::string fmnist = "fashion-mnist";
    if (spec == fmnist) return load_fashion_mnist(kFashionMnistDir, split);
    if (spec.rfind(fmnist + ":", 0) == 0) {
        const std::string dir = spec.substr(fmnist.size() + 1);
        if (dir.empty()) throw DataError("fashion-mnist: empty folder in --data " + spec + " (expected fashion-mnist:DIR)");
        return load_fashion_mnist(dir, split);
    }

    std::error_code ec;
    if (!fs::is_directory(spec, ec))
        throw DataError(spec + ": no such dataset (expected fashion-mnist, fashion-mnist:DIR or a folder of images)");
    const fs::path root(spec);
    const bool has_train = fs::is_directory(root / "train", ec);
    const bool has_test = fs::is_directory(root / "test", ec);
    if (has_train || has_test) {
        const char* wanted = split == Split::Train ? "train" : "test";
        if (!(split == Split::Train ? has_train : has_test))
            throw DataError(spec + ": has a " + (has_train ? "train/" : "test/") + " subfolder but no " + wanted +
                            "/ subfolder (expected both for a split image folder)");
        ImageDataset dataset = load_image_folder((root / wanted).string());
        dataset.name = folder_name(root);  // the folder the user named, not "train"
        return dataset;
    }
    if (split == Split::Test)
        throw DataError(spec + ": no test split (an image folder has one only as a test/ subfolder, beside train/)");
    return load_image_folder(spec);
}

void truncate(ImageDataset& dataset, int64_t limit) {
    if (limit <= 0 || limit >= dataset.count) return;
    dataset.count = limit;
    dataset.pixels.resize(static_cast<size_t>(limit * dataset.channels * dataset.height * dataset.width));
    if (!dataset.labels.empty()) dataset.labels.resize(static_cast<size_t>(limit));
    dataset.pixels.shrink_to_fit();
    dataset.labels.shrink_to_fit();
}

}  // namespace ganzoo::data
