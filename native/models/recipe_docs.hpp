// What every recipe key means: the loop's keys (every member) and each member's own, with their
// range, and each member's paper. `ganzoo models MEMBER` prints them beside the defaults
// (GanFamily::defaults) and the key values a shipped model was trained with; the test
// "every recipe key is documented" keeps this table and the members' defaults in step.
#pragma once

#include <string>
#include <vector>

namespace ganzoo::models {

struct RecipeKeyDoc {
    std::string key;      // "gamma"
    std::string meaning;  // one line
    std::string range;    // "0..1", "≥ 1", "batch | layer | none"
};

struct MemberDoc {
    std::string member;  // "began"
    std::string paper;   // "Berthelot, Schumm & Metz 2017, BEGAN: Boundary Equilibrium GANs"
    std::string link;    // "https://arxiv.org/abs/1703.10717"
    std::vector<RecipeKeyDoc> keys;  // the member's own keys (not the loop's)
};

// The training loop's keys (trainer.hpp loop_defaults): epochs, batch, seed, ema, ...
const std::vector<RecipeKeyDoc>& loop_key_docs();
// nullptr for a name without an entry.
const MemberDoc* member_doc(const std::string& member);
// A key of `member` (its own first, then the loop's), or nullptr.
const RecipeKeyDoc* recipe_key_doc(const std::string& member, const std::string& key);

}  // namespace ganzoo::models
