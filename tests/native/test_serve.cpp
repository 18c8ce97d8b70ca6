// ganzoo serve: it serves the page and the runs' whitelisted files, and nothing else; bad
// requests get a status and one line, never a file from outside.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "serve/server.hpp"

namespace fs = std::filesystem;
using ganzoo::serve::Options;
using ganzoo::serve::Response;
using ganzoo::serve::Server;
using ganzoo::serve::Site;

namespace {

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// A web root and two runs (one of them not started yet) in a fresh folder.
struct Fixture {
    fs::path dir;
    Options options;
    Fixture() {
        dir = fs::temp_directory_path() / ("ganzoo-serve-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        write(dir / "web/index.html", "<!doctype html>page");
        write(dir / "web/app.js", "// app");
        write(dir / "web/.hidden", "secret");
        write(dir / "secret.txt", "outside the root");
        fs::create_symlink(dir / "secret.txt", dir / "web/link.txt");
        write(dir / "runs/wgan/log.csv", "step,loss\n1,0.5\n2,0.4\n");
        write(dir / "runs/wgan/config.json", "{}");
        write(dir / "runs/wgan/live/status.json", "{\"step\": 2}");
        write(dir / "runs/wgan/live/latest.safetensors", "snapshot");
        write(dir / "runs/wgan/samples/epoch_002.png", "png2");
        write(dir / "runs/wgan/samples/epoch_010.png", "png10");
        write(dir / "runs/wgan/checkpoints/latest.pt", "weights and optimiser state");
        write(dir / "runs/wgan/notes.txt", "not served");
        options.web_root = (dir / "web").string();
        options.runs = {(dir / "runs/wgan").string(), (dir / "runs/later").string(), (dir / "other/wgan/").string()};
    }
    ~Fixture() { fs::remove_all(dir); }
};

// The body a response would send: its text, or its file's bytes from the offset.
std::string body(const Response& r) {
    if (r.file < 0) return r.body;
    std::string out(r.file_length, '\0');
    const ssize_t n = ::pread(r.file, out.data(), out.size(), static_cast<off_t>(r.file_offset));
    ::close(r.file);
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
}

int status(const Site& site, const std::string& target, const std::string& method = "GET") {
    Response r = site.handle(method, target);
    body(r);  // closes its file
    return r.status;
}

// One request over a real socket; returns everything the server sent.
std::string exchange(int port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server answered and closed before reading it all
        sent += static_cast<size_t>(n);
    }
    std::string reply;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, static_cast<size_t>(n));
    ::close(fd);
    return reply;
}

}  // namespace

TEST_CASE("serve: the page's files, and nothing outside the web root") {
    Fixture f;
    const Site site(f.options);
    Response index = site.handle("GET", "/");
    CHECK(index.status == 200);
    CHECK(index.headers.at("Content-Type") == "text/html; charset=utf-8");
    CHECK(body(index) == "<!doctype html>page");
    CHECK(body(site.handle("GET", "/app.js?v=3")) == "// app");
    CHECK(status(site, "/../secret.txt") == 404);
    CHECK(status(site, "/%2e%2e/secret.txt") == 404);
    CHECK(status(site, "/x/%2E%2E/%2E%2E/secret.txt") == 404);
    CHECK(status(site, "/link.txt") == 404);   // a symlink out of the root
    CHECK(status(site, "/.hidden") == 404);    // dot-files
    CHECK(status(site, "/nothing.js") == 404);
    CHECK(status(site, "/app.js%00.png") == 400);
    CHECK(status(site, "/app.js%zz") == 400);
    CHECK(status(site, "app.js") == 400);
    CHECK(status(site, "/", "POST") == 405);
    CHECK(site.handle("DELETE", "/").headers.at("Allow") == "GET, HEAD");
}

TEST_CASE("serve: runs by id, their whitelisted files, log.csv from an offset") {
    Fixture f;
    const Site site(f.options);
    REQUIRE(site.runs().size() == 3);
    CHECK(site.runs()[0].id == "wgan");
    CHECK(site.runs()[1].id == "later");
    CHECK(site.runs()[2].id == "wgan-2");  // the same folder name twice: unique ids

    const std::string runs = body(site.handle("GET", "/api/runs.json"));
    CHECK(runs.find("\"id\":\"wgan\"") != std::string::npos);
    CHECK(runs.find("\"id\":\"later\",\"name\":\"" + (f.dir / "runs/later").string() + "\",\"present\":false") !=
          std::string::npos);

    Response status_json = site.handle("GET", "/runs/wgan/live/status.json");
    CHECK(status_json.headers.at("Cache-Control") == "no-store");
    CHECK(body(status_json) == "{\"step\": 2}");
    CHECK(body(site.handle("GET", "/runs/wgan/live/latest.safetensors")) == "snapshot");
    CHECK(body(site.handle("GET", "/runs/wgan/samples/epoch_010.png")) == "png10");
    CHECK(body(site.handle("GET", "/runs/wgan/samples.json")) ==
          R"({"samples":["epoch_002.png","epoch_010.png"]})");

    Response whole = site.handle("GET", "/runs/wgan/log.csv");
    CHECK(body(whole) == "step,loss\n1,0.5\n2,0.4\n");
    Response tail = site.handle("GET", "/runs/wgan/log.csv?from=10");
    CHECK(tail.headers.at("X-File-Size") == "22");
    CHECK(body(tail) == "1,0.5\n2,0.4\n");
    CHECK(body(site.handle("GET", "/runs/wgan/log.csv?from=999")).empty());
    CHECK(status(site, "/runs/wgan/log.csv?from=-1") == 400);
    CHECK(status(site, "/runs/wgan/log.csv?from=99999999999999999999") == 400);

    // Only the whitelist: not the checkpoints (optimiser state), not other files, not a traversal.
    CHECK(status(site, "/runs/wgan/checkpoints/latest.pt") == 404);
    CHECK(status(site, "/runs/wgan/notes.txt") == 404);
    CHECK(status(site, "/runs/wgan/samples/../notes.txt") == 404);
    CHECK(status(site, "/runs/wgan/samples/epoch_1.png.txt") == 404);
    CHECK(status(site, "/runs/nosuch/log.csv") == 404);
    // Not started: the status says so (a page polls it without an error per poll); files are 404.
    CHECK(body(site.handle("GET", "/runs/later/live/status.json")).find(R"("state":"missing")") != std::string::npos);
    CHECK(body(site.handle("GET", "/runs/later/log.csv")).find("not there") != std::string::npos);
    fs::remove(f.dir / "runs/wgan/live/status.json");
    CHECK(body(site.handle("GET", "/runs/wgan/live/status.json")).find(R"("state":"waiting")") != std::string::npos);
    fs::remove_all(f.dir / "runs/wgan");  // a run folder deleted while served
    CHECK(status(site, "/runs/wgan/log.csv") == 404);
    CHECK(body(site.handle("GET", "/runs/wgan/live/status.json")).find(R"("state":"missing")") != std::string::npos);
}

TEST_CASE("serve: a web root without the page is refused with one line") {
    Fixture f;
    f.options.web_root = f.dir.string();
    CHECK_THROWS_WITH(Site(f.options), Catch::Matchers::Contains("no index.html"));
}

TEST_CASE("serve: over a socket, bounded heads, bad request lines, HEAD, and a port in use") {
    Fixture f;
    f.options.port = 0;
    f.options.idle_timeout_ms = 1000;
    Server server(f.options);
    std::atomic<bool> stop{false};
    std::thread loop([&] { server.run(stop); });

    const std::string ok = exchange(server.port(), "GET /runs/wgan/live/status.json HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(ok.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(ok.find("Content-Length: 11\r\n") != std::string::npos);
    CHECK(ok.find("X-Ganzoo-Serve: 1\r\n") != std::string::npos);  // what tells the page to show its live view
    CHECK(ok.substr(ok.size() - 11) == "{\"step\": 2}");
    const std::string head = exchange(server.port(), "HEAD /app.js HTTP/1.1\r\n\r\n");
    CHECK(head.find("Content-Length: 6\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");  // no body
    CHECK(exchange(server.port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n")
              .rfind("HTTP/1.1 431", 0) == 0);
    CHECK(exchange(server.port(), "GET /" + std::string(3000, 'a') + " HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 414", 0) ==
          0);
    CHECK(exchange(server.port(), "hello\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
    CHECK(exchange(server.port(), "GET /../../etc/passwd HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
    // An unfinished head: answered 408 once the client has been silent for the idle timeout.
    CHECK(exchange(server.port(), "GET / HTTP/1.1\r\n").rfind("HTTP/1.1 408", 0) == 0);

    Options again = f.options;
    again.port = server.port();
    CHECK_THROWS_WITH(Server(again), Catch::Matchers::Contains("127.0.0.1:" + std::to_string(server.port())));
    stop = true;
    loop.join();
}
