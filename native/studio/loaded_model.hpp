// What a model file offers: its ModelInfo (the core's description), and what the studio draws.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ganzoo/model.hpp"

namespace ganzoo::studio {

struct LoadedModel {
    std::shared_ptr<const ganzoo::Model> model;
    std::string title, path;
    std::vector<std::string> stages;  // nets fed by z, smallest output first (ProGAN: several)
    bool cycle = false;               // an image-to-image model (CycleGAN): G_AB and G_BA on "image"
    std::string verify;               // the golden check's line, once run
    // The file's bytes, kept only where projections run on a Web Worker (the browser), which is
    // sent them: platform::projects_in_worker().
    std::shared_ptr<const std::string> bytes;
    const ganzoo::ModelInfo& info() const { return model->info(); }
};

// Why the studio has nothing to draw of a model ("" when it has): no generator it can drive (a
// net taking z whose other inputs are labels or codes), and no image-to-image pair (G_AB and
// G_BA on "image") with held-out examples of both domains.
std::string nothing_to_draw(const ganzoo::ModelInfo& info);

// The studio's view of a loaded model; throws std::runtime_error when it has nothing to draw.
LoadedModel describe(std::shared_ptr<const ganzoo::Model> model, const std::string& title, const std::string& path);

// A domain as the studio names it: "A (Sneaker)".
std::string domain_title(const ganzoo::Domain& d);

// The codes of a net the studio has controls for (InfoGAN's categorical and continuous codes).
std::vector<const ganzoo::InputInfo*> net_codes(const ganzoo::ModelInfo& info, const std::string& net);

}  // namespace ganzoo::studio
