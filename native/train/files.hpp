// ganzoo trainer: files that are never half-written (no LibTorch here).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ganzoo/image.hpp"

namespace ganzoo::train {

// Writes `bytes` to path.tmp, fsyncs it, renames it over `path` and fsyncs the folder:
// a crash leaves either the old file or the new one, never a torn one. Only nothing or a regular
// file is replaced (a symlink to one is followed); a device, FIFO, socket, directory or an empty
// path is refused with one line. A failed write removes path.tmp.
// sync = false skips the fsyncs: the replacement is still atomic for every reader, but a power
// loss may lose it (what the live snapshots choose: they are rewritten every few seconds).
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes, bool sync = true);
void write_text_atomically(const std::string& path, const std::string& text, bool sync = true);

// Moves an already written temporary file into place the same way (removed if that fails).
void commit_file(const std::string& temporary, const std::string& path, bool sync = true);

// Reads a regular file whole; anything else (a directory, /dev/zero, a FIFO) and a file over
// max_bytes ("more than `what` can be") are refused before reading, with one line naming the file.
std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes = UINT64_MAX,
                               const std::string& what = "a file");

// Reads only the first bytes of a regular file that `needed` asks for, refused as read_file
// refuses. `needed(prefix, prefix_size, file_size)` says how many leading bytes are needed; it is
// asked again after each read until it is satisfied (a model file: the header first, then the
// tensors up to the last one's end, so trailing bytes are never read).
std::vector<uint8_t> read_file_prefix(
    const std::string& path, uint64_t max_bytes, const std::string& what,
    const std::function<uint64_t(const uint8_t* prefix, size_t prefix_size, uint64_t file_size)>& needed);

// CRC-32 (IEEE 802.3, as zlib's crc32), for the checkpoint envelope below.
uint32_t crc32(const uint8_t* data, size_t size);

// Checkpoint envelope: 8 bytes "GZCKPT01", u64 LE payload length, u32 LE CRC-32 of the payload,
// 4 zero bytes, then the payload (LibTorch's archive). A torn or bit-flipped file is refused
// with one line naming the file, and so is a file without the envelope (a LibTorch zip, written
// before checksums): it could not be checked.
std::vector<uint8_t> seal_checkpoint(const std::vector<uint8_t>& payload);
// Returns the payload of `bytes` read from `path`; throws std::runtime_error naming `path`.
std::vector<uint8_t> open_checkpoint(std::vector<uint8_t> bytes, const std::string& path);

// An exclusive flock on DIR/train.lock for as long as it lives, holding the owner's PID: one
// process trains in a run directory at a time. The kernel drops the lock when the process dies
// (SIGKILL included), so a lock is never stale. A second process gets one line naming the PID.
class RunLock {
public:
    explicit RunLock(const std::string& dir);
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

private:
    int fd_ = -1;
};

// Refuses, as the atomic writers would, an output path that is empty or names something other
// than a regular file (a device, a FIFO, a directory, a link to one or to nothing): for a command
// to check before it spends time on what it would write there.
void check_output_path(const std::string& path);

// PNG (RGBA) written atomically.
void write_png(const std::string& path, const Grid& grid);
// JPEG (baseline, `quality` 1..100; alpha dropped) written atomically.
void write_jpeg(const std::string& path, const Grid& grid, int quality = 95);
// An animated GIF of equal-sized frames, written atomically: played in order, each shown
// `delay_cs` hundredths of a second, looping forever. Grey frames (R = G = B everywhere) keep all
// 256 levels exactly; colour frames are reduced to a fixed 3-3-2 palette (8 x 8 x 4 colours).
void write_gif(const std::string& path, const std::vector<Grid>& frames, int delay_cs);

}  // namespace ganzoo::train
