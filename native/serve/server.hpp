// ganzoo serve: the web page, plus a live view of training runs, over HTTP.
//
// What it serves, and nothing else (GET and HEAD only):
//   /...                          the page's own files under the web root (regular files only,
//                                 no dot-files, nothing outside the root, symlinks included)
//   /api/runs.json                the runs being served: {"runs": [{"id", "name", "present"}]}
//   /runs/ID/live/status.json     what the trainer's --live writes: step, epoch, losses, ETA, ...;
//                                 before there is one, {"state": "waiting"|"missing", "why": ...}
//   /runs/ID/live/latest.safetensors   the newest snapshot of the generator
//   /runs/ID/log.csv[?from=BYTE]  the training log, whole or from a byte offset (the page polls it)
//   /runs/ID/config.json, summary.json
//   /runs/ID/samples.json         the names of the per-epoch grids; /runs/ID/samples/epoch_NNN.png
// The run files are sent with Cache-Control: no-store: they change while the run trains. A
// snapshot is replaced by rename, and a file is sent from the descriptor opened for it, so a
// reader gets one whole snapshot, never a torn one.
//
// Requests are bounded: a request head over 8 KiB gets 431, a target over 2 KiB 414, a client
// that sends nothing for 10 s is dropped, and beyond 64 connections at once the next gets 503.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ganzoo::serve {

struct Options {
    std::vector<std::string> runs;  // run directories; one that is missing is served as "not there yet"
    std::string web_root;           // the page's folder (web/)
    std::string host = "127.0.0.1";
    int port = 8000;                // 0: any free port
    size_t max_head_bytes = 8192;
    size_t max_target_bytes = 2048;
    int max_connections = 64;
    int idle_timeout_ms = 10000;
};

struct Response {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;  // a small body, or empty when `file` is sent
    int file = -1;     // an open descriptor to send from `offset` to its end (closed after sending)
    uint64_t file_offset = 0, file_length = 0;
};

// A run the server shows: its id in URLs (the folder's name, made unique) and its folder.
struct Run {
    std::string id;
    std::string dir;
};

// Everything but the sockets: tested on its own.
class Site {
public:
    explicit Site(const Options& options);  // throws std::runtime_error naming a bad web root
    // method "GET" or "HEAD"; target as sent ("/runs/x/log.csv?from=10").
    Response handle(const std::string& method, const std::string& target) const;
    const std::vector<Run>& runs() const { return runs_; }

private:
    Response static_file(const std::string& path) const;
    Response run_file(const Run& run, const std::string& rest, const std::string& query) const;
    Response runs_json() const;
    std::string root_;  // realpath of the web root
    std::vector<Run> runs_;
};

Response error_response(int status, const std::string& message);

class Server {
public:
    // Binds and listens; throws std::runtime_error ("127.0.0.1:8000: Address already in use").
    explicit Server(const Options& options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    int port() const { return port_; }
    const Site& site() const { return site_; }
    // Serves until `stop` becomes true (checked every 200 ms), then waits for open connections.
    void run(const std::atomic<bool>& stop);

private:
    void serve_connection(int fd);
    Options options_;
    Site site_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<int> active_{0};
};

}  // namespace ganzoo::serve
