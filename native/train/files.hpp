// ganzoo trainer: files that are never half-written (no LibTorch here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ganzoo/image.hpp"

namespace ganzoo::train {

// Writes `bytes` to path.tmp, fsyncs it, renames it over `path` and fsyncs the folder:
// a crash leaves either the old file or the new one, never a torn one.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);
void write_text_atomically(const std::string& path, const std::string& text);

// Moves an already written temporary file into place the same way.
void commit_file(const std::string& temporary, const std::string& path);

std::vector<uint8_t> read_file(const std::string& path);  // throws a one-line error naming the file

// PNG (RGBA) written atomically.
void write_png(const std::string& path, const Grid& grid);

}  // namespace ganzoo::train
