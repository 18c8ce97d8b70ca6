// Fashion-MNIST from its four IDX files (Debian's dataset-fashion-mnist ships them gzipped;
// the uncompressed names are accepted too).
#include "data/dataset.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ganzoo::data {
namespace {

constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

// `dir/stem.gz` if it exists, else `dir/stem`; neither: the error the user can act on.
std::string find_idx_file(const std::string& dir, const std::string& stem) {
    const std::string base = (dir.empty() || dir.back() == '/') ? dir + stem : dir + "/" + stem;
    const std::string gz = base + ".gz";
    if (std::FILE* f = std::fopen(gz.c_str(), "rb")) {
        std::fclose(f);
        return gz;
    }
    const int gz_errno = errno;
    if (std::FILE* f = std::fopen(base.c_str(), "rb")) {
        std::fclose(f);
        return base;
    }
    throw DataError("fashion-mnist: cannot open " + gz + " (" + std::strerror(gz_errno) +
                    "); install dataset-fashion-mnist or pass --data DIR");
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
    static const std::vector<std::string> names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

ImageDataset load_fashion_mnist(const std::string& dir, Split split) {
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const std::string images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte");

    IdxArray images = read_idx_file(images_path);
    if (images.dims.size() != 3)
        throw DataError(images_path + ": holds labels (magic 0x00000801), expected images (0x00000803)");
    if (images.dims[1] != kSide || images.dims[2] != kSide)
        throw DataError(images_path + ": images are " + std::to_string(images.dims[1]) + "x" +
                        std::to_string(images.dims[2]) + ", expected 28x28 for Fashion-MNIST");
    if (images.dims[0] == 0) throw DataError(images_path + ": holds no images");

    IdxArray labels = read_idx_file(labels_path);
    if (labels.dims.size() != 1)
        throw DataError(labels_path + ": holds images (magic 0x00000803), expected labels (0x00000801)");
    if (labels.dims[0] != images.dims[0])
        throw DataError("fashion-mnist: " + images_path + " holds " + std::to_string(images.dims[0]) +
                        " images but " + labels_path + " holds " + std::to_string(labels.dims[0]) +
                        " labels (expected the same count)");

    ImageDataset dataset;
    dataset.name = "fashion-mnist";
    dataset.count = images.dims[0];
    dataset.channels = 1;
    dataset.height = kSide;
    dataset.width = kSide;
    dataset.pixels = std::move(images.values);
    dataset.labels.resize(labels.values.size());
    for (size_t i = 0; i < labels.values.size(); ++i) {
        const int64_t label = labels.values[i];
        if (label >= kClasses)
            throw DataError(labels_path + ": label " + std::to_string(label) + " at index " +
                            std::to_string(i) + " (expected 0..9)");
        dataset.labels[i] = label;
    }
    dataset.class_names = fashion_mnist_classes();
    return dataset;
}

}  // namespace ganzoo::data
