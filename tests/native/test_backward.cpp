// The core's reverse pass (Model::generate_backward) against LibTorch autograd, on every
// registered member's exported generators: built tiny with spread-out weights (as the contract
// test), exported at F32 as the trainer exports, then for L = sum(w ⊙ G(z, ...)) with random w,
// dL/dz, dL/dc_cont (InfoGAN), dL/d(class weights) (cGAN) and dL/d(image) (CycleGAN) from
// LibTorch (the exported Sequential in eval mode, its prelude of one_hot and concat written out
// in LibTorch) and from the core must agree to 1e-4 of the gradient's size. ProGAN is grown
// through all its stages, so that every stage is exported: G (the last, upsampled to 32x32) and
// G_4x4, G_8x8, G_16x16. None of them has a fade-in: the export takes each stage at alpha = 1.
#include <cmath>
#include <cstdio>

#include "exporter/exporter.hpp"
#include "ganzoo/model.hpp"
#include "models/family.hpp"
#include "models/progan.hpp"
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
constexpr double kTolerance = 1e-4;  // max |core - LibTorch| / max |LibTorch|, per input, F32
constexpr int64_t kCount = 3;

// A member as the contract test builds it (tiny sizes, 64 training images of its classes). ProGAN
// grows through every stage in a few steps (phases of 8 images), so that each stage is exported.
std::unique_ptr<GanFamily> build_tiny(const std::string& name) {
    auto family = make_family(name);
    json config = loop_defaults();
    config.update(family->defaults(false));
    const json tiny = {{"width", 4}, {"d_width", 4}, {"blocks", 2}, {"z_dim", 8}, {"d_hidden", 16}};
    for (const auto& [key, value] : tiny.items())
        if (config.contains(key)) config[key] = value;
    if (name == "progan") {
        config["width"] = 8;  // 8 channels at every stage: pixel norm over 2 would be ill-conditioned
        config["fade_images"] = 8;
        config["stabilize_images"] = 8;
    }
    std::vector<int64_t> classes = family->training_classes(config, kClasses);
    if (classes.empty())
        for (int64_t k = 0; k < static_cast<int64_t>(kClasses.size()); ++k) classes.push_back(k);
    torch::manual_seed(1);
    family->build(config, {1, 28, 28}, static_cast<int64_t>(kClasses.size()), torch::kCPU);
    torch::manual_seed(1000);
    const auto pick = [&](int64_t n) {
        return torch::tensor(classes, torch::kLong).index_select(0, torch::randint(static_cast<int64_t>(classes.size()), {n}, torch::kLong));
    };
    family->set_training_data(torch::randint(0, 256, {64, 1, 28, 28}, torch::kLong).to(torch::kUInt8), pick(64));
    if (auto* progan = dynamic_cast<progan::Progan*>(family.get()))
        while (progan->images_seen() < progan->schedule().total()) {
            Batch b;
            b.images = torch::tanh(torch::randn({8, 1, 28, 28}));
            b.labels = pick(8);
            family->train_step(b);
        }
    return family;
}

ExportOptions export_options(const std::string& name) {
    ExportOptions o;
    o.dtype = DType::F32;
    o.family = name;
    o.name = name + "-backward";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", kClasses}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

std::vector<float> values_of(const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

ganzoo::Tensor to_core(const torch::Tensor& t) {
    return {t.sizes().vec(), values_of(t)};
}

// max |core - LibTorch| / max |LibTorch|.
double relative_error(const torch::Tensor& expected, const ganzoo::Tensor& actual) {
    REQUIRE(actual.shape == expected.sizes().vec());
    const double scale = expected.abs().max().item<double>();
    REQUIRE(scale > 1e-6);  // a gradient that is not all zeros
    return max_abs_diff(expected, actual) / scale;
}

// One case: an exported generator net and its inputs. LibTorch's gradients are taken with
// respect to `leaves` (the inputs that take one); the core gets the same values through a
// GenerateRequest.
struct Case {
    std::string what;
    std::map<std::string, torch::Tensor> inputs;  // by graph input name
    bool label_weights = false;                   // "label" holds class weights [N, K]
};

// The net's forward in LibTorch: the prelude (one_hot, concat) then the Sequential in eval mode.
torch::Tensor torch_forward(const ExportNet& net, const std::map<std::string, torch::Tensor>& inputs) {
    std::map<std::string, torch::Tensor> values = inputs;
    torch::Tensor x = inputs.at(net.inputs.front());
    for (const json& op : net.prelude) {
        std::vector<torch::Tensor> in;
        for (const auto& name : op["in"]) in.push_back(values.at(name.get<std::string>()));
        if (op["op"] == "one_hot") {
            const int64_t classes = op["classes"].get<int64_t>();
            x = in[0].dim() == 2 && in[0].size(1) == classes && classes > 1
                    ? in[0]  // class weights stand in for the one-hot vector
                    : torch::one_hot(in[0].view({-1}).to(torch::kLong), classes).to(torch::kFloat);
        } else {
            REQUIRE(op["op"] == "concat");
            x = torch::cat(in, op.value("axis", int64_t{1}));
        }
        values[op["out"].get<std::string>()] = x;
    }
    auto seq = net.net;
    const bool was_training = seq->is_training();
    seq->eval();
    auto y = seq->forward(x);
    seq->train(was_training);
    return y;
}

void check_case(const Model& model, const ExportNet& net, const Case& c, const std::string& member) {
    // LibTorch: the float inputs as leaves.
    std::map<std::string, torch::Tensor> inputs;
    std::vector<std::string> leaf_names;
    std::vector<torch::Tensor> leaves;
    for (const auto& [name, value] : c.inputs) {
        const bool discrete = (name == "label" && !c.label_weights) || name == "c_cat";
        inputs[name] = discrete ? value : value.clone().requires_grad_(true);
        if (!discrete) {
            leaf_names.push_back(name);
            leaves.push_back(inputs[name]);
        }
    }
    const auto y = torch_forward(net, inputs);
    torch::manual_seed(77);
    const auto w = torch::rand_like(y) * 2 - 1;
    const auto grads = torch::autograd::grad({(y * w).sum()}, leaves);

    // The core, through generate_backward as a front end would call it.
    GenerateRequest req;
    req.net = net.name;
    req.count = kCount;
    for (const auto& [name, value] : c.inputs) {
        if (name == "z")
            req.z = to_core(value);
        else if (name == "label" && c.label_weights)
            req.label_weights = values_of(value);
        else if (name == "label")
            for (float v : values_of(value)) req.labels.push_back(static_cast<int64_t>(v));
        else
            req.codes[name] = values_of(value);
    }
    const GenerateGradients g = model.generate_backward(req, to_core(w));
    const double output_diff = max_abs_diff(y.detach(), g.output);
    std::printf("backward %-15s %-8s %-22s output max |LibTorch - core| %.2e\n", member.c_str(), net.name.c_str(),
                c.what.c_str(), output_diff);
    CHECK(output_diff <= 1e-4);
    for (size_t i = 0; i < leaves.size(); ++i) {
        const std::string& name = leaf_names[i];
        const ganzoo::Tensor& core = name == "z"       ? g.z
                                     : name == "label" ? g.label_weights
                                                       : g.codes.at(name);
        const double error = relative_error(grads[i], core);
        std::printf("backward %-15s %-8s %-22s d/d%-6s max |LibTorch - core| / max |LibTorch| %.2e\n",
                    member.c_str(), net.name.c_str(), c.what.c_str(), name.c_str(), error);
        INFO(member << " " << net.name << " " << c.what << ": d/d" << name);
        CHECK(error <= kTolerance);
    }
    // What takes no gradient gets none.
    if (!c.inputs.count("z")) CHECK(g.z.data.empty());
    if (!c.label_weights) CHECK(g.label_weights.data.empty());
    CHECK_FALSE(g.codes.count("c_cat"));
}

// The cases of one net: its inputs drawn as a projection would set them (z normal, codes and
// class weights inside their ranges, images in [-1, 1]), class indices for every class.
std::vector<Case> cases_for(const ExportNet& net, const GanFamily& family) {
    torch::manual_seed(5);
    Case c{"", {}, false};
    for (const auto& name : net.inputs) {
        if (name == "z")
            c.inputs[name] = torch::randn({kCount, family.z_dim()});
        else if (name == "label")
            c.inputs[name] = torch::tensor(std::vector<int64_t>{2, 7, 9}).to(torch::kFloat);
        else if (name == "c_cat")
            c.inputs[name] = torch::tensor(std::vector<float>{1, 4, 8}).view({kCount, 1});
        else if (name == "c_cont")
            c.inputs[name] = torch::rand({kCount, 2}) * 2 - 1;
        else if (name == "image")
            c.inputs[name] = torch::tanh(torch::randn({kCount, 1, 28, 28}));
        else
            FAIL("no values for input " << name);
    }
    std::vector<Case> cases{c};
    cases.front().what = c.inputs.count("label") ? "labels" : "inputs";
    if (c.inputs.count("label")) {
        // A mixture of two classes per sample, and one of all ten.
        auto weights = torch::zeros({kCount, 10});
        weights[0][2] = 0.3;
        weights[0][7] = 0.7;
        weights[1][9] = 1.0;
        weights[2].fill_(0.1);
        c.inputs["label"] = weights;
        c.label_weights = true;
        c.what = "class weights";
        cases.push_back(c);
    }
    return cases;
}

}  // namespace

TEST_CASE("every member's generators: the core's input gradients are LibTorch autograd's (F32)") {
    torch::set_num_threads(1);
    REQUIRE(!families().empty());
    for (const auto& info : families()) {
        DYNAMIC_SECTION(info.name) {
            auto family = build_tiny(info.name);
            randomize_weights(*family);  // outputs spread over tanh's range, so agreement means something
            const auto bytes = export_model(*family, export_options(info.name));
            const Model model = Model::load(bytes.data(), bytes.size());
            int generators = 0;
            for (const ExportNet& net : family->export_spec().nets) {
                if (net.name.rfind("G", 0) != 0) continue;  // D_classes, C_baseline, Q: not generators
                ++generators;
                for (const Case& c : cases_for(net, *family)) check_case(model, net, c, info.name);
            }
            CHECK(generators >= 1);
            if (info.name == "progan") CHECK(generators == 4);  // G (32x32) and G_4x4, G_8x8, G_16x16
            if (info.name == "cyclegan") CHECK(generators == 2);
        }
    }
}
