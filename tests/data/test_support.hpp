// Shared by the data tests: a fresh temporary folder per test, and the one-line error a
// reader throws.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "data/dataset.hpp"

namespace ganzoo::test {

class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("ganzoo_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// The DataError message `f` throws, checked to be one line (fails the test if it throws nothing).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ganzoo::data::DataError& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find('\n') == std::string::npos);  // one line
        return message;
    }
    FAIL("expected a ganzoo::data::DataError");
    return {};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace ganzoo::test
