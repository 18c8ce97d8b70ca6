// ganzoo trainer: image datasets as 8-bit pixels (no LibTorch here, so the readers stay
// fast to build, easy to test and fuzzable).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ganzoo::data {

// A bad or unreadable data file: the message is one line that names the file.
class DataError : public std::runtime_error {
public:
    explicit DataError(const std::string& message) : std::runtime_error(message) {}
};

struct ImageDataset {
    std::string name;                     // "fashion-mnist" or the folder's name
    int64_t count = 0;
    int64_t channels = 0, height = 0, width = 0;
    std::vector<uint8_t> pixels;          // count * channels * height * width, NCHW
    std::vector<int64_t> labels;          // one per image, or empty when unlabeled
    std::vector<std::string> class_names; // index = label

    bool labeled() const { return !labels.empty(); }
    const uint8_t* image(int64_t i) const { return pixels.data() + i * channels * height * width; }
};

enum class Split { Train, Test };

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The ten Fashion-MNIST class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

// Reads one IDX file (optionally gzip-compressed, detected by its magic bytes):
// images (magic 0x00000803, u8, [n, rows, cols]) or labels (0x00000801, [n]).
struct IdxArray {
    std::vector<int64_t> dims;
    std::vector<uint8_t> values;
};
IdxArray read_idx_file(const std::string& path);
// The same from bytes in memory; `name` is used in error messages.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name);

// {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir`. Counts must agree, labels < 10.
ImageDataset load_fashion_mnist(const std::string& dir, Split split);

// A folder of PNG/JPEG/BMP images. With subfolders: one class per subfolder (sorted by
// name), labeled. Without: unlabeled. All images are converted to `channels` (1 or 3;
// 0 = 1 if every image is grey, else 3) and must share one size unless `resize_to` > 0,
// which resizes every image to resize_to × resize_to.
ImageDataset load_image_folder(const std::string& dir, int channels = 0, int resize_to = 0);

// One PNG/JPEG/BMP image from bytes in memory (what load_image_folder decodes each file with),
// converted to `channels` (1 or 3; 0 = as stored, grey+alpha -> 1, RGB(A) -> 3) and stored
// planar (CHW). Sides over kMaxImageSide are refused from the header, before decoding.
// `name` is used in error messages.
inline constexpr int kMaxImageSide = 8192;
// The most pixel bytes an image folder may decode to (count x C x H x W; the trainer then holds
// them as floats, 4x that): twelve 8192x8192 RGB images are 2.25 GiB, refused from their headers.
inline constexpr uint64_t kMaxFolderBytes = uint64_t{1} << 30;
struct DecodedImage {
    int64_t channels = 0, height = 0, width = 0;
    std::vector<uint8_t> pixels;  // channels * height * width
};
DecodedImage decode_image(const std::vector<uint8_t>& bytes, const std::string& name, int channels = 0);

// "fashion-mnist" (the Debian package's folder), "fashion-mnist:DIR", or an image folder.
ImageDataset load_dataset(const std::string& spec, Split split);

// Keeps only the first `limit` images (limit <= 0: all), e.g. for smoke tests.
void truncate(ImageDataset& dataset, int64_t limit);

}  // namespace ganzoo::data
