#include "follow.hpp"

#include <memory>
#include <stdexcept>

#include "platform.hpp"

namespace ganzoo::studio {

namespace {
constexpr double kPollMs = 1000;
}

Follow::Follow(std::string r, std::function<void(const LoadedModel&)> on_snapshot)
    : run(std::move(r)),
      title("Live: " + platform::run_title(run)),
      location(platform::snapshot_location(run)),
      on_snapshot_(std::move(on_snapshot)) {}

void Follow::tick() {
    if (polling_ || (last_poll_ && ms_since(*last_poll_) < kPollMs)) return;
    polling_ = true;
    last_poll_ = Clock::now();
    platform::fetch_run_status(run, [this](const std::string* text, const std::string& error) { on_status(text, error); });
}

void Follow::on_status(const std::string* text, const std::string& error) {
    std::string trouble;
    if (!text) {
        trouble = "cannot read the run's status (" + error + "); trying again";
    } else {
        const nlohmann::json s = nlohmann::json::parse(*text, nullptr, false);
        if (s.is_object()) status = s;
        else trouble = "its live/status.json is not JSON; trying again";
    }
    const std::string identity = platform::snapshot_identity(run, text ? *text : "");
    if (identity.empty() || identity == shown_) {
        problem = trouble;
        polling_ = false;
        return;
    }
    platform::fetch(location, [this, identity](const std::string* bytes, const std::string& why) {
        on_snapshot_bytes(identity, bytes, why);
    });
}

// The model is built here, whole, before anything on screen changes: a load that throws leaves
// the shown model as it was, and `shown_` unchanged makes the next poll try again.
void Follow::on_snapshot_bytes(const std::string& identity, const std::string* bytes, const std::string& error) {
    polling_ = false;
    try {
        if (!bytes) throw std::runtime_error(error);
        auto model = std::make_shared<const ganzoo::Model>(
            ganzoo::Model::load(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
        newest = describe(std::move(model), title, location);
        if (platform::projects_in_worker()) newest->bytes = std::make_shared<const std::string>(*bytes);
    } catch (const std::exception& e) {
        ++failures;
        problem = std::string("the newest snapshot did not load (") + e.what() + "): the model shown stays; trying again";
        return;
    }
    shown_ = identity;
    ++snapshots;
    problem.clear();
    on_snapshot_(*newest);
}

}  // namespace ganzoo::studio
