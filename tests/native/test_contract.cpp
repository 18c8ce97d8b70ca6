// The contract every registered family member keeps, checked over the registry: a member is
// tested here by being registered (GANZOO_REGISTER_FAMILY), with nothing to add. Built tiny, it
// - takes finite steps that move every network it lists (networks(): what the trainer's
//   non-finite guard and data parallelism see);
// - saves and loads bit-exactly: the loaded copy holds the same bits and takes the same next
//   steps, with the member's own state (step counters, pools, reference batches) restored;
// - exports a file the core runs as LibTorch does, at F32 (<= 1e-4) and F16 (<= 2e-2), one and
//   17 samples, every class or code value and the codes training draws;
// - exports a golden case that `verify` passes.
// The member test files (test_members.cpp, ...) keep each paper's own mathematics.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/family.hpp"
#include "models/recipe_docs.hpp"
#include "train/trainer.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
using namespace ganzoo::train;
using namespace ganzoo::models::testing;

namespace {

const std::vector<std::string> kClasses{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
constexpr int64_t kSteps = 6;  // past a generator step of the critic GANs (n_critic 5)
constexpr int64_t kSaveAt = 3;

// The recipe with its sizes made tiny (the keys members share; a member with other size keys
// is tested at its recipe's sizes).
json tiny_config(const GanFamily& family) {
    json config = loop_defaults();
    config.update(family.defaults(false));
    const json tiny = {{"width", 4}, {"d_width", 4}, {"blocks", 2}, {"z_dim", 8}, {"d_hidden", 16}};
    for (const auto& [key, value] : tiny.items())
        if (config.contains(key)) config[key] = value;
    return config;
}

// A member as the trainer builds it, given 64 training images of the classes it trains on.
struct Tiny {
    std::unique_ptr<GanFamily> family;
    std::vector<int64_t> classes;  // the labels its batches draw from
};

Tiny build_tiny(const std::string& name, uint64_t seed) {
    Tiny t;
    t.family = make_family(name);
    const json config = tiny_config(*t.family);
    t.classes = t.family->training_classes(config, kClasses);
    if (t.classes.empty())
        for (int64_t k = 0; k < static_cast<int64_t>(kClasses.size()); ++k) t.classes.push_back(k);
    torch::manual_seed(seed);
    t.family->build(config, {1, 28, 28}, static_cast<int64_t>(kClasses.size()), torch::kCPU);
    torch::manual_seed(1000);
    const auto labels = torch::tensor(t.classes, torch::kLong).index_select(0, torch::randint(static_cast<int64_t>(t.classes.size()), {64}, torch::kLong));
    t.family->set_training_data(torch::randint(0, 256, {64, 1, 28, 28}, torch::kLong).to(torch::kUInt8), labels);
    return t;
}

// Step k's batch: images in [-1, 1], labels of the member's classes; the same for every copy.
Batch batch_for(const Tiny& t, int64_t k) {
    torch::manual_seed(500 + static_cast<uint64_t>(k));
    Batch b;
    b.images = torch::tanh(torch::randn({8, 1, 28, 28}));
    b.labels = torch::tensor(t.classes, torch::kLong).index_select(0, torch::randint(static_cast<int64_t>(t.classes.size()), {8}, torch::kLong));
    torch::manual_seed(step_seed(7, k));  // as the trainer seeds each step
    return b;
}

std::vector<torch::Tensor> state_of(GanFamily& family) {
    std::vector<torch::Tensor> out;
    for (const auto& [name, module] : family.networks()) {
        for (const auto& p : module->parameters()) out.push_back(p.detach().clone());
        for (const auto& b : module->buffers()) out.push_back(b.detach().clone());
    }
    return out;
}

bool same_bits(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].sizes() != b[i].sizes() || !torch::equal(a[i], b[i])) return false;
    return true;
}

std::string saved(GanFamily& family) {
    torch::serialize::OutputArchive archive;
    family.save(archive);
    std::ostringstream out;
    archive.save_to(out);
    return out.str();
}

void load(GanFamily& family, const std::string& bytes) {
    std::istringstream in(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(in);
    family.load(archive);
}

ExportOptions export_options(DType dtype, const std::string& name) {
    ExportOptions o;
    o.dtype = dtype;
    o.family = name;
    o.name = name + "-contract";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", kClasses}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

// The core's output for `inputs` (the member's GeneratorInputs): through generate() with the
// labels and codes as a front end passes them, or translate() for an image-to-image net.
ganzoo::Tensor core_output(const Model& model, const std::string& net, int64_t count, uint64_t seed,
                           const GeneratorInputs& inputs) {
    if (inputs.count("image")) {
        const auto x = inputs.at("image").to(torch::kFloat).contiguous();
        return model.translate({x.sizes().vec(), std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel())},
                               net);
    }
    GenerateRequest r;
    r.seed = seed;
    r.count = count;
    r.net = net;
    for (const auto& [name, tensor] : inputs) {
        if (name == "label") {
            const auto l = tensor.to(torch::kLong).contiguous();
            r.labels.assign(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
        } else {
            const auto c = tensor.to(torch::kFloat).contiguous();
            r.codes[name].assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
        }
    }
    return model.generate(r);
}

void check_parity(GanFamily& family, const std::string& name) {
    const std::string net = family.export_spec().nets.front().name;
    for (DType dtype : {DType::F32, DType::F16}) {
        const auto bytes = export_model(family, export_options(dtype, name));
        const Model model = Model::load(bytes.data(), bytes.size());
        CHECK(model.info().z_dim == family.z_dim());
        std::vector<std::string> nets;
        for (const auto& n : family.export_spec().nets) nets.push_back(n.name);
        CHECK(model.info().nets == nets);
        const double tolerance = dtype == DType::F32 ? 1e-4 : 2e-2;
        for (int64_t count : {1, 17}) {
            // Every class or code value in turn; and, for a member with z, the codes as training draws them.
            std::vector<std::pair<std::string, GeneratorInputs>> cases{{"grid", family.grid_inputs(count, 1)}};
            if (family.z_dim() > 0) cases.push_back({"prior", family.prior_inputs(count, 42)});
            for (const auto& [what, inputs] : cases) {
                const auto z = normal_latents(99, 0, count, family.z_dim());
                const auto expected =
                    family.sample(torch::from_blob(const_cast<float*>(z.data.data()), {count, family.z_dim()}).clone(), inputs)
                        .to(torch::kFloat)
                        .contiguous();
                const double diff = max_abs_diff(expected, core_output(model, net, count, 99, inputs));
                std::printf("contract %-14s parity %s %s, %2lld samples: max |LibTorch - core| %.3g (output std %.3f)\n",
                            name.c_str(), dtype_name(dtype), what.c_str(), static_cast<long long>(count), diff,
                            count > 1 ? expected.std().item<double>() : 0.0);
                INFO(name << " " << dtype_name(dtype) << " " << what << " " << count << " samples");
                CHECK(diff <= tolerance);
            }
        }
        const CheckResult check = model.verify();
        INFO(name << " " << dtype_name(dtype) << ": " << check.message);
        CHECK(check.passed);
    }
}

}  // namespace

// `ganzoo models MEMBER` prints a meaning and a range for every key: a key added to a member's
// defaults (or the loop's) without its line in models/recipe_docs.cpp fails here, and so does a
// documented key that no member has any more.
TEST_CASE("every recipe key is documented, and every documented key exists") {
    for (const auto& info : families()) {
        CAPTURE(info.name);
        const MemberDoc* doc = member_doc(info.name);
        REQUIRE(doc != nullptr);
        CHECK(doc->link.rfind("https://arxiv.org/abs/", 0) == 0);
        const auto family = make_family(info.name);
        json keys = loop_defaults();
        keys.update(family->defaults(false));
        keys.update(family->defaults(true));
        for (const auto& [key, value] : keys.items()) {
            CAPTURE(key);
            const RecipeKeyDoc* k = recipe_key_doc(info.name, key);
            REQUIRE(k != nullptr);
            CHECK(!k->meaning.empty());
            CHECK(!k->range.empty());
        }
        for (const RecipeKeyDoc& k : doc->keys) {
            CAPTURE(k.key);
            CHECK(keys.contains(k.key));
        }
    }
    for (const RecipeKeyDoc& k : loop_key_docs()) {
        CAPTURE(k.key);
        CHECK(loop_defaults().contains(k.key));
    }
}

TEST_CASE("every registered member: tiny build, finite steps, bit-exact save/load, export parity, verify") {
    torch::set_num_threads(1);  // the same reduction order in every copy
    REQUIRE(!families().empty());
    for (const auto& info : families()) {
        DYNAMIC_SECTION(info.name) {
            Tiny live = build_tiny(info.name, 1);
            GanFamily& family = *live.family;
            REQUIRE(!family.networks().empty());
            randomize_weights(family);  // outputs spread over tanh's range, so parity means something
            const auto before = state_of(family);
            std::map<std::string, torch::Tensor> initial;
            for (const auto& [net, module] : family.networks()) initial[net] = flat_parameters(*module);

            // Steps up to the save, then the same steps on the live member and on a copy loaded
            // into a member built from another seed.
            for (int64_t k = 1; k <= kSaveAt; ++k) {
                const auto stats = family.train_step(batch_for(live, k));
                for (const auto& [stat_name, value] : stats) {
                    INFO(info.name << " step " << k << ": " << stat_name);
                    CHECK(std::isfinite(value));
                }
            }
            const std::string bytes = saved(family);
            Tiny copy = build_tiny(info.name, 2);
            REQUIRE_FALSE(same_bits(state_of(*copy.family), state_of(family)));
            load(*copy.family, bytes);
            CHECK(same_bits(state_of(*copy.family), state_of(family)));
            for (int64_t k = kSaveAt + 1; k <= kSteps; ++k) {
                const auto stats = family.train_step(batch_for(live, k));
                const auto copy_stats = copy.family->train_step(batch_for(copy, k));
                INFO(info.name << " step " << k << " after a save at step " << kSaveAt);
                CHECK(stats == copy_stats);
                for (const auto& [stat_name, value] : stats) CHECK(std::isfinite(value));
                CHECK(same_bits(state_of(*copy.family), state_of(family)));
            }

            // Every listed network moved.
            for (const auto& [net, module] : family.networks()) {
                INFO(info.name << ": " << net);
                CHECK((flat_parameters(*module) - initial.at(net)).abs().max().item<double>() > 1e-6);
            }
            CHECK_FALSE(same_bits(state_of(family), before));

            check_parity(family, info.name);
        }
    }
}
