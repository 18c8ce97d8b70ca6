#include "card.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ganzoo::studio {

using json = nlohmann::json;

namespace {

// v rounded half away from zero to `decimals` places, printed with that many.
std::string fixed(double v, int decimals) {
    const double scale = std::pow(10.0, decimals);
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, std::round(v * scale) / scale);
    return text;
}

struct Known {
    const char* key;
    const char* name;
};

// The metrics `ganzoo eval` measures (docs/RESULTS.md), in the order the card lists them.
const Known kKnown[] = {
    {"fd_fmnist", "FD-FMNIST"},
    {"fd_floor", "FD-FMNIST floor"},
    {"swd_average", "SWD"},
    {"swd", "SWD per level"},
    {"swd_floor_average", "SWD floor"},
    {"inception_score", "IS"},
    {"inception_score_test", "IS of the test images"},
    {"class_accuracy", "class accuracy"},
    {"code_class_accuracy", "code-to-class accuracy"},
    {"q_accuracy", "Q accuracy"},
    {"q_cluster_accuracy", "Q cluster accuracy"},
    {"mi_categorical", "MI, categorical code"},
    {"mi_categorical_max", "MI, its maximum"},
    {"mi_continuous", "MI, continuous code"},
    {"q_continuous_mse", "Q continuous MSE"},
    {"fd_ab", "FD, G_AB(A) to B"},
    {"fd_ba", "FD, G_BA(B) to A"},
    {"fd_untranslated", "FD, A to B untranslated"},
    {"cycle_l1_a", "cycle L1, A"},
    {"cycle_l1_b", "cycle L1, B"},
    {"target_fraction_ab", "G_AB(A) classed as B"},
    {"target_fraction_ba", "G_BA(B) classed as A"},
    {"target_fraction_ab_untranslated", "A classed as B"},
    {"target_fraction_ba_untranslated", "B classed as A"},
    {"count_a", "test images A"},
    {"count_b", "test images B"},
    {"classifier_test_accuracy", "classifier test accuracy"},
};

// About the measurement, not the model.
const char* const kLeftOut[] = {"classes", "class_histogram", "class_accuracy_per_class", "count", "seed", "note",
                                "domains", "code_to_class", "q_cluster_to_class", "swd_floor", "swd_resolutions",
                                "swd_images", "swd_descriptors_per_image", "swd_directions"};

bool percent(const std::string& key, double v) {
    return (key.find("accuracy") != std::string::npos || key.find("fraction") != std::string::npos) && v >= 0 && v <= 1;
}

// The value as shown, or "" when it is not shown (an object, a long list, a long text).
std::string shown(const std::string& key, const json& v) {
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number()) {
        const double x = v.get<double>();
        return percent(key, x) ? fixed(100 * x, 1) + " %" : round_sig(x);
    }
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_string()) return v.get<std::string>().size() <= 40 ? v.get<std::string>() : "";
    if (v.is_array() && !v.empty() && v.size() <= 4) {
        std::string text;
        for (const json& x : v) {
            if (!x.is_number()) return "";
            text += (text.empty() ? "" : " / ") + shown(key, x);
        }
        return text;
    }
    return "";
}

std::string full(const json& v) {
    if (!v.is_number_float()) return v.dump();
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v.get<double>());
    return text;
}

}  // namespace

std::string round_sig(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    const double a = std::fabs(v);
    if (a == 0) return "0";
    if (a < 0.001 || a >= 1e15) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2e", v);
        return text;
    }
    // Digits after the point for 3 significant ones (none from 100 up); rounding may carry into
    // one more digit (9.996 -> 10.00), which keeps 3 significant digits shown at least.
    const int magnitude = static_cast<int>(std::floor(std::log10(a)));
    return fixed(v, std::max(0, 2 - magnitude));
}

std::vector<CardRow> metric_rows(const json& metrics) {
    std::vector<CardRow> rows;
    if (!metrics.is_object()) return rows;
    const auto add = [&](const std::string& key, const std::string& name) {
        const std::string value = shown(key, metrics[key]);
        if (!value.empty()) rows.push_back({name, value, key + " = " + full(metrics[key])});
    };
    for (const Known& k : kKnown)
        if (metrics.contains(k.key)) add(k.key, k.name);
    for (const auto& item : metrics.items()) {
        const std::string& key = item.key();
        const bool known = std::any_of(std::begin(kKnown), std::end(kKnown), [&](const Known& k) { return key == k.key; });
        const bool left_out = std::find(std::begin(kLeftOut), std::end(kLeftOut), key) != std::end(kLeftOut);
        if (!known && !left_out) add(key, key);
    }
    return rows;
}

std::string baseline_notice(const json& entry, const json& baseline) {
    if (!entry.is_object() || !baseline.is_object() || !entry.contains("metrics") || !entry["metrics"].is_object()) return "";
    const json& metrics = entry["metrics"];
    struct Bar {
        const char *key, *name;
        int decimals;
    };
    std::string worse;
    for (const Bar& b : {Bar{"fd_fmnist", "FD-FMNIST", 2}, Bar{"swd_average", "SWD", 1}}) {
        if (!metrics.contains(b.key) || !metrics[b.key].is_number() || !baseline.contains(b.key) || !baseline[b.key].is_number())
            continue;
        const double v = metrics[b.key].get<double>(), bar = baseline[b.key].get<double>();
        if (v > bar) worse += (worse.empty() ? "" : ", ") + std::string(b.name) + " " + fixed(v, b.decimals) + " against " + fixed(bar, b.decimals);
    }
    if (worse.empty()) return "";
    const std::string family = entry.value("family", std::string());
    return "Below the project's baseline, a plain DCGAN after 2 epochs (lower is better): " + worse + ". See docs/members/" +
           (family.empty() ? std::string("MEMBER") : family) + ".md in the repository.";
}

Card model_card(const LoadedModel& m, const json& manifest, const json& baseline) {
    Card card;
    const ganzoo::ModelInfo& info = m.info();
    card.about.push_back({"family", info.family, ""});
    card.about.push_back({"name", info.name, ""});
    card.about.push_back({"dataset",
                          info.dataset + ", " + std::to_string(info.channels) + "x" + std::to_string(info.height) + "x" +
                              std::to_string(info.width),
                          ""});
    std::string nets;
    for (const auto& n : info.nets) nets += (nets.empty() ? "" : ", ") + n;
    card.about.push_back({"nets", nets, ""});
    if (const ganzoo::TrainingRecord& t = info.training; t.present) {
        card.has_training = true;
        if (!t.command.empty()) card.training.push_back({"command", t.command, ""});
        if (t.epochs)
            card.training.push_back({"epochs", *t.epochs == std::floor(*t.epochs) ? fixed(*t.epochs, 0) : round_sig(*t.epochs), ""});
        if (t.steps) card.training.push_back({"steps", std::to_string(*t.steps), ""});
        if (!t.device.empty()) card.training.push_back({"device", t.device, ""});
        if (t.wall_time_s) card.training.push_back({"time", fixed(*t.wall_time_s, 0) + " s", ""});
        json metrics = json::object();
        for (const auto& x : t.metrics) {
            if (x.number) metrics[x.name] = x.integer ? json(static_cast<long long>(*x.number)) : json(*x.number);
            else {
                const json parsed = json::parse(x.text, nullptr, false);  // a list or an object, as compact JSON
                metrics[x.name] = parsed.is_discarded() ? json(x.text) : parsed;
            }
        }
        card.file_metrics = metric_rows(metrics);
    }
    if (manifest.is_object() && manifest.contains("metrics")) card.manifest_metrics = metric_rows(manifest["metrics"]);
    card.notice = baseline_notice(manifest, baseline);
    return card;
}

}  // namespace ganzoo::studio
