// ganzoo core: a dense float tensor, row-major (NCHW for images).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ganzoo {

struct Tensor {
    std::vector<int64_t> shape;  // shape[0] is the batch for every value in a graph
    std::vector<float> data;     // row-major, size == numel()

    Tensor() = default;
    Tensor(std::vector<int64_t> shape_, std::vector<float> data_)
        : shape(std::move(shape_)), data(std::move(data_)) {}
    static Tensor zeros(std::vector<int64_t> shape_) {
        Tensor t;
        t.shape = std::move(shape_);
        t.data.assign(static_cast<size_t>(t.numel()), 0.0f);
        return t;
    }

    int64_t numel() const {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return n;
    }
    int64_t dim(size_t i) const { return shape.at(i); }
    size_t rank() const { return shape.size(); }
};

}  // namespace ganzoo
