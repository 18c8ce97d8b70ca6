// Following a training run (`ganzoo train --live`, docs/live.md): its status, and its newest
// snapshot as the model on screen. Polled once a second through the platform: natively the
// folder RUN/live/, in the browser `ganzoo serve`'s runs/ID/live/.
//
// Whatever the run's files do, the studio goes on: a run not started yet (no folder, no status,
// no snapshot: it says so and keeps polling), a snapshot that does not load (the model on screen
// stays, the next poll tries again), a run folder deleted (the model stays, the status says so),
// a run resumed (its new snapshots load as before).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "loaded_model.hpp"
#include "worker.hpp"

namespace ganzoo::studio {

class Follow {
public:
    // `on_snapshot` gets each new snapshot that loads, on the UI thread.
    Follow(std::string run, std::function<void(const LoadedModel&)> on_snapshot);

    // Once a frame: a poll when a second has passed since the last began and none is in flight.
    void tick();

    const std::string run;
    const std::string title;     // "Live: RUN", its name in the model list
    const std::string location;  // its snapshot's path or URL
    nlohmann::json status = nlohmann::json::object();  // the newest status.json read
    std::string problem;  // what went wrong in the last poll ("" when nothing did)
    int snapshots = 0, failures = 0;  // snapshots loaded, and loads that failed
    std::optional<LoadedModel> newest;

    std::string state() const { return status.value("state", ""); }

private:
    void on_status(const std::string* text, const std::string& error);
    void on_snapshot_bytes(const std::string& identity, const std::string* bytes, const std::string& error);

    std::function<void(const LoadedModel&)> on_snapshot_;
    std::optional<Clock::time_point> last_poll_;
    bool polling_ = false;
    std::string shown_;  // the identity of the snapshot loaded last
};

}  // namespace ganzoo::studio
