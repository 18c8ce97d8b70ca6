#include "serve/server.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace ganzoo::serve {

namespace {

using json = nlohmann::json;

const std::map<std::string, std::string> kTypes = {
    {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
    {".json", "application/json"}, {".wasm", "application/wasm"}, {".png", "image/png"},
    {".svg", "image/svg+xml"}, {".csv", "text/csv; charset=utf-8"},
    {".safetensors", "application/octet-stream"}, {".ico", "image/x-icon"},
};

// What a run serves besides its grids (samples/epoch_NNN.png) and samples.json.
const char* const kRunFiles[] = {"live/status.json", "live/latest.safetensors", "log.csv", "config.json",
                                 "summary.json"};

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Error";
    }
}

std::string content_type(const std::string& path) {
    const auto dot = path.rfind('.');
    const auto slash = path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "application/octet-stream";
    const auto it = kTypes.find(path.substr(dot));
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string real_path(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (!resolved) return {};
    std::string out(resolved);
    std::free(resolved);
    return out;
}

bool inside(const std::string& path, const std::string& root) {
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decodes a path; false for a bad escape or a NUL.
bool decode(const std::string& in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

// "/a/b/" → {"a", "b"}; false when a segment is "." or "..", or starts with a dot (hidden).
bool split_path(const std::string& path, std::vector<std::string>& segments) {
    segments.clear();
    size_t start = 1;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        const std::string segment = path.substr(start, end - start);
        if (!segment.empty()) {
            if (segment[0] == '.') return false;
            segments.push_back(segment);
        }
        start = end + 1;
    }
    return true;
}

std::string query_value(const std::string& query, const std::string& key) {
    size_t start = 0;
    while (start <= query.size()) {
        const size_t end = std::min(query.find('&', start), query.size());
        const std::string pair = query.substr(start, end - start);
        if (pair.compare(0, key.size() + 1, key + "=") == 0) return pair.substr(key.size() + 1);
        start = end + 1;
    }
    return {};
}

// The file at `path` (which must resolve inside `root`) as a response, from byte `from` on.
Response open_file(const std::string& path, const std::string& root, const std::string& cache, uint64_t from = 0,
                   bool ranged = false) {
    const std::string resolved = real_path(path);
    if (resolved.empty() || !inside(resolved, root)) return error_response(404, "no such file");
    const int fd = ::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return error_response(404, "no such file");
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return error_response(404, "not a regular file");
    }
    Response r;
    const auto size = static_cast<uint64_t>(st.st_size);
    r.file = fd;
    r.file_offset = std::min(from, size);
    r.file_length = size - r.file_offset;
    r.headers["Content-Type"] = content_type(resolved);
    r.headers["Cache-Control"] = cache;
    if (ranged) r.headers["X-File-Size"] = std::to_string(size);
    return r;
}

bool epoch_png(const std::string& name) {
    // epoch_NNN.png, 1 to 6 digits
    if (name.size() < 11 || name.size() > 16 || name.compare(0, 6, "epoch_") != 0 ||
        name.compare(name.size() - 4, 4, ".png") != 0)
        return false;
    return std::all_of(name.begin() + 6, name.end() - 4, [](char c) { return c >= '0' && c <= '9'; });
}

std::string run_id(const std::string& dir) {
    std::string base = dir;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    base = base.substr(base.rfind('/') == std::string::npos ? 0 : base.rfind('/') + 1);
    std::string id;
    for (char c : base) id += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
    if (id.empty() || id == "-") id = "run";
    return id;
}

void send_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the client left or stalled past the timeout
        data += n;
        size -= static_cast<size_t>(n);
    }
}

void send_response(int fd, Response& r, bool head) {
    const uint64_t length = r.file >= 0 ? r.file_length : r.body.size();
    std::string text = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
    r.headers["Content-Length"] = std::to_string(length);
    r.headers["Connection"] = "close";
    r.headers["X-Content-Type-Options"] = "nosniff";
    r.headers["X-Ganzoo-Serve"] = "1";  // the page shows its live view only under ganzoo serve
    for (const auto& [key, value] : r.headers) text += key + ": " + value + "\r\n";
    text += "\r\n";
    if (!head) text += r.body;
    send_all(fd, text.data(), text.size());
    if (r.file >= 0) {
        if (!head) {
            off_t offset = static_cast<off_t>(r.file_offset);
            uint64_t left = r.file_length;
            while (left > 0) {
                const ssize_t n = ::sendfile(fd, r.file, &offset, std::min<uint64_t>(left, 1u << 20));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;  // the client left, or the file shrank: the length was promised
                left -= static_cast<uint64_t>(n);
            }
        }
        ::close(r.file);
        r.file = -1;
    }
}

}  // namespace

Response error_response(int status, const std::string& message) {
    Response r;
    r.status = status;
    r.headers["Content-Type"] = "text/plain; charset=utf-8";
    r.headers["Cache-Control"] = "no-store";
    r.body = std::to_string(status) + " " + reason(status) + ": " + message + "\n";
    return r;
}

Site::Site(const Options& options) {
    root_ = real_path(options.web_root);
    struct stat st{};
    if (root_.empty() || ::stat((root_ + "/index.html").c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw std::runtime_error(options.web_root + ": not the ganzoo page's folder (no index.html); pass --web DIR");
    for (const std::string& dir : options.runs) {
        std::string id = run_id(dir);
        for (int k = 2; std::any_of(runs_.begin(), runs_.end(), [&](const Run& r) { return r.id == id; }); ++k)
            id = run_id(dir) + "-" + std::to_string(k);
        runs_.push_back({id, dir});
    }
}

Response Site::runs_json() const {
    json list = json::array();
    for (const Run& run : runs_) {
        struct stat st{};
        const bool present = ::stat(run.dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        std::string name = run.dir;
        while (name.size() > 1 && name.back() == '/') name.pop_back();
        list.push_back({{"id", run.id}, {"name", name}, {"present", present}});
    }
    Response r;
    r.headers["Content-Type"] = "application/json";
    r.headers["Cache-Control"] = "no-store";
    r.body = json{{"runs", list}}.dump();
    return r;
}

Response Site::run_file(const Run& run, const std::string& rest, const std::string& query) const {
    const std::string dir = real_path(run.dir);
    // A run that has not written its status (not started, not --live, or its folder gone) answers
    // with a state rather than 404, so that a page polling it logs no error every poll.
    const auto waiting = [](const std::string& state, const std::string& why) {
        Response r;
        r.headers["Content-Type"] = "application/json";
        r.headers["Cache-Control"] = "no-store";
        r.body = json{{"state", state}, {"why", why}}.dump();
        return r;
    };
    if (dir.empty()) {
        if (rest == "live/status.json") return waiting("missing", "the run folder is not there (yet, or any more)");
        return error_response(404, "run '" + run.id + "': its folder is not there (yet, or any more)");
    }
    if (rest == "samples.json") {
        json names = json::array();
        if (DIR* d = ::opendir((dir + "/samples").c_str())) {
            while (const dirent* e = ::readdir(d))
                if (epoch_png(e->d_name)) names.push_back(e->d_name);
            ::closedir(d);
        }
        std::vector<std::string> sorted = names.get<std::vector<std::string>>();
        std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
            return a.size() != b.size() ? a.size() < b.size() : a < b;
        });
        Response r;
        r.headers["Content-Type"] = "application/json";
        r.headers["Cache-Control"] = "no-store";
        r.body = json{{"samples", sorted}}.dump();
        return r;
    }
    const bool known = std::find(std::begin(kRunFiles), std::end(kRunFiles), rest) != std::end(kRunFiles) ||
                       (rest.compare(0, 8, "samples/") == 0 && epoch_png(rest.substr(8)));
    if (!known) return error_response(404, "run '" + run.id + "' serves no file '" + rest + "'");
    uint64_t from = 0;
    const std::string from_text = rest == "log.csv" ? query_value(query, "from") : "";
    if (!from_text.empty()) {
        if (from_text.size() > 19 || from_text.find_first_not_of("0123456789") != std::string::npos)
            return error_response(400, "from must be a byte offset, got '" + from_text.substr(0, 40) + "'");
        from = std::stoull(from_text);
    }
    Response r = open_file(dir + "/" + rest, dir, "no-store", from, rest == "log.csv");
    if (r.status == 404 && rest == "live/status.json")
        return waiting("waiting", "no live/status.json yet: the run has not started, or trains without --live");
    if (r.status == 404) return error_response(404, "run '" + run.id + "' has no '" + rest + "' yet");
    return r;
}

Response Site::static_file(const std::string& path) const {
    std::string full = root_ + path;
    struct stat st{};
    if (::stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) full += "/index.html";
    return open_file(full, root_, "no-cache");
}

Response Site::handle(const std::string& method, const std::string& target) const {
    if (method != "GET" && method != "HEAD") {
        Response r = error_response(405, "only GET and HEAD");
        r.headers["Allow"] = "GET, HEAD";
        return r;
    }
    if (target.empty() || target[0] != '/') return error_response(400, "the target must be a path");
    const size_t question = target.find('?');
    const std::string query = question == std::string::npos ? "" : target.substr(question + 1);
    std::string path;
    if (!decode(target.substr(0, question), path)) return error_response(400, "bad percent-escape in the path");
    std::vector<std::string> segments;
    if (!split_path(path, segments)) return error_response(404, "no such file");
    if (segments.size() == 2 && segments[0] == "api" && segments[1] == "runs.json") return runs_json();
    if (!segments.empty() && segments[0] == "runs") {
        if (segments.size() < 3) return error_response(404, "no such file");
        const auto run = std::find_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.id == segments[1]; });
        if (run == runs_.end()) return error_response(404, "no run '" + segments[1] + "' is served");
        std::string rest;
        for (size_t i = 2; i < segments.size(); ++i) rest += (i > 2 ? "/" : "") + segments[i];
        return run_file(*run, rest, query);
    }
    std::string joined;
    for (const auto& s : segments) joined += "/" + s;
    return static_file(joined);
}

Server::Server(const Options& options) : options_(options), site_(options) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string where = options.host + ":" + std::to_string(options.port);
    if (options.port < 0 || options.port > 65535) throw std::runtime_error(where + ": the port must be 0..65535");
    const int rc = ::getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &found);
    if (rc != 0) throw std::runtime_error(where + ": " + ::gai_strerror(rc));
    std::string error = "no address";
    for (addrinfo* a = found; a && listen_fd_ < 0; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
            listen_fd_ = fd;
        } else {
            error = std::strerror(errno);
            ::close(fd);
        }
    }
    ::freeaddrinfo(found);
    if (listen_fd_ < 0) throw std::runtime_error(where + ": " + error);
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

Server::~Server() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void Server::run(const std::atomic<bool>& stop) {
    while (!stop) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {  // out of descriptors, say: wait a little instead of spinning
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        timeval timeout{options_.idle_timeout_ms / 1000, (options_.idle_timeout_ms % 1000) * 1000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (active_ >= options_.max_connections) {
            Response busy = error_response(503, "too many connections at once; try again");
            send_response(fd, busy, false);
            ::close(fd);
            continue;
        }
        ++active_;
        try {
            std::thread([this, fd] {
                serve_connection(fd);
                ::close(fd);
                --active_;
            }).detach();
        } catch (const std::system_error&) {  // no thread to be had: this client is turned away
            ::close(fd);
            --active_;
        }
    }
    // Open connections end within the idle timeout.
    while (active_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void Server::serve_connection(int fd) {
    std::string head;
    char buffer[2048];
    size_t end = std::string::npos;
    while (end == std::string::npos) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // the client left, or sent nothing for the idle timeout
            if (!head.empty() && n < 0) {
                Response r = error_response(408, "the request did not arrive in time");
                send_response(fd, r, false);
            }
            return;
        }
        head.append(buffer, static_cast<size_t>(n));
        end = head.find("\r\n\r\n");
        if (end == std::string::npos && head.size() > options_.max_head_bytes) {
            Response r = error_response(431, "the request head is over " + std::to_string(options_.max_head_bytes) + " bytes");
            send_response(fd, r, false);
            return;
        }
    }
    const std::string line = head.substr(0, head.find("\r\n"));
    const size_t a = line.find(' '), b = line.rfind(' ');
    Response r;
    std::string method;
    if (a == std::string::npos || b == a || line.compare(b + 1, 7, "HTTP/1.") != 0) {
        r = error_response(400, "not an HTTP/1.x request line");
    } else {
        method = line.substr(0, a);
        const std::string target = line.substr(a + 1, b - a - 1);
        r = target.size() > options_.max_target_bytes
                ? error_response(414, "the target is over " + std::to_string(options_.max_target_bytes) + " bytes")
                : site_.handle(method, target);
    }
    send_response(fd, r, method == "HEAD");
}

}  // namespace ganzoo::serve
