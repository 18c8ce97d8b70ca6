// Load-time validation of the model document and its nets: one test per failure case, each
// checking that the message names the offending net / op / tensor / field.
#include <catch2/catch.hpp>

#include "ganzoo/error.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;

namespace {

std::string load_error(const ModelFile& m, const LoadLimits& limits = {}) {
    try {
        m.load(limits);
    } catch (const Error& e) {
        std::printf("  error: %s\n", e.what());
        return e.what();
    }
    return "<no error>";
}

json& op(ModelFile& m, int i) {
    return m.doc["nets"]["G"]["ops"][i];
}

}  // namespace

TEST_CASE("the DCGAN test model loads and describes itself") {
    const Model model = dcgan_test_model().load();
    const ModelInfo& info = model.info();
    CHECK(info.version == 1);
    CHECK(info.family == "dcgan");
    CHECK(info.name == "dcgan-test");
    CHECK(info.dataset == "test");
    CHECK(info.channels == 1);
    CHECK(info.height == 28);
    CHECK(info.width == 28);
    CHECK(info.range_lo == -1.0f);
    CHECK(info.range_hi == 1.0f);
    CHECK(info.z_dim == 16);
    CHECK(info.num_classes == 0);
    CHECK(info.nets == std::vector<std::string>{"G"});
    CHECK_THAT(info.metadata_json, Contains("ganzoo-graph"));
    const Model cgan = cgan_test_model().load();
    CHECK(cgan.info().num_classes == 10);
    CHECK(cgan.info().class_names.size() == 10);
}

TEST_CASE("graph: missing tensor") {
    ModelFile m = dcgan_test_model();
    op(m, 4)["weight"] = "G.3.weigth";
    CHECK_THAT(load_error(m),
               Contains("net 'G' op 4 (conv_transpose2d)") && Contains("'G.3.weigth' is not in the file"));
}

TEST_CASE("graph: missing required tensor reference") {
    ModelFile m = dcgan_test_model();
    op(m, 2).erase("shift");
    CHECK_THAT(load_error(m), Contains("op 2 (batch_norm)") && Contains("needs tensor 'shift'"));
}

TEST_CASE("graph: conv_transpose2d weight with the wrong input channels") {
    ModelFile m = dcgan_test_model();
    m.add_random("G.3.bad", {6, 4, 4, 4}, 99, 0.1f);
    op(m, 4)["weight"] = "G.3.bad";
    CHECK(load_error(m) ==
          "net 'G' op 4 (conv_transpose2d): weight 'G.3.bad' has shape [6, 4, 4, 4], expected 8 input "
          "channels");
}

TEST_CASE("graph: conv weight of the wrong rank") {
    ModelFile m = dcgan_test_model();
    m.add_random("G.3.flat", {8, 64}, 99, 0.1f);
    op(m, 4)["weight"] = "G.3.flat";
    CHECK_THAT(load_error(m), Contains("weight 'G.3.flat' has shape [8, 64], expected [in, out, kh, kw]"));
}

TEST_CASE("graph: linear weight that does not take the incoming features") {
    ModelFile m = dcgan_test_model();
    m.add_random("G.0.wide", {392, 17}, 99, 0.1f);
    op(m, 0)["weight"] = "G.0.wide";
    CHECK_THAT(load_error(m),
               Contains("op 0 (linear)") && Contains("'G.0.wide' has shape [392, 17], expected [out, 16]"));
}

TEST_CASE("graph: bias of the wrong shape") {
    ModelFile m = dcgan_test_model();
    m.add_random("G.6.bias2", {2}, 99, 0.1f);
    op(m, 7)["bias"] = "G.6.bias2";
    CHECK_THAT(load_error(m), Contains("op 7 (conv_transpose2d)") &&
                                  Contains("bias 'G.6.bias2' has shape [2], expected [1]"));
}

TEST_CASE("graph: batch_norm scale for the wrong channel count") {
    ModelFile m = dcgan_test_model();
    op(m, 5)["scale"] = "G.1.scale";  // 8 channels where the value has 4
    CHECK_THAT(load_error(m),
               Contains("op 5 (batch_norm)") && Contains("scale 'G.1.scale' has shape [8], expected [4]"));
}

TEST_CASE("graph: unknown op") {
    ModelFile m = dcgan_test_model();
    op(m, 3)["op"] = "swish";
    CHECK_THAT(load_error(m), Contains("net 'G' op 3 (swish)") && Contains("unknown op 'swish'"));
}

TEST_CASE("graph: op without a name") {
    ModelFile m = dcgan_test_model();
    op(m, 3).erase("op");
    CHECK_THAT(load_error(m), Contains("net 'G' op 3") && Contains("needs 'op'"));
}

TEST_CASE("graph: unknown attribute") {
    ModelFile m = dcgan_test_model();
    op(m, 4)["strides"] = 2;
    CHECK_THAT(load_error(m), Contains("op 4 (conv_transpose2d)") && Contains("unknown attribute 'strides'"));
}

TEST_CASE("graph: attribute of the wrong type") {
    ModelFile m = dcgan_test_model();
    op(m, 4)["stride"] = "2";
    CHECK_THAT(load_error(m), Contains("op 4 (conv_transpose2d)") &&
                                  Contains("attribute 'stride' must be an integer or [h, w]"));
    ModelFile n = dcgan_test_model();
    op(n, 4)["padding"] = 1.5;
    CHECK_THAT(load_error(n), Contains("attribute 'padding'"));
    ModelFile s = single_op_model({{"op", "leaky_relu"}, {"slope", "0.2"}}, {{4}});
    CHECK_THAT(load_error(s),
               Contains("net 'net' op 0 (leaky_relu)") && Contains("'slope' must be a number"));
}

TEST_CASE("graph: attribute out of range") {
    ModelFile m = dcgan_test_model();
    op(m, 4)["stride"] = 0;
    CHECK_THAT(load_error(m), Contains("attribute 'stride' is 0"));
    ModelFile n = dcgan_test_model();
    op(n, 4)["output_padding"] = 2;
    CHECK_THAT(load_error(n),
               Contains("op 4 (conv_transpose2d)") && Contains("output_padding must be smaller than stride"));
}

TEST_CASE("graph: value used before it is defined") {
    ModelFile m = dcgan_test_model();
    op(m, 1)["in"] = {"h3"};
    op(m, 3)["out"] = "h3";
    CHECK_THAT(load_error(m),
               Contains("net 'G' op 1 (reshape)") && Contains("input 'h3' is used before it is defined"));
}

TEST_CASE("graph: value defined twice") {
    ModelFile m = dcgan_test_model();
    op(m, 2)["out"] = "h";
    op(m, 3)["out"] = "h";
    CHECK_THAT(load_error(m), Contains("op 3 (relu)") && Contains("output 'h' is already defined"));
}

TEST_CASE("graph: wrong number of inputs") {
    ModelFile m = dcgan_test_model();
    op(m, 3)["op"] = "add";
    CHECK_THAT(load_error(m), Contains("op 3 (add)") && Contains("takes 2 inputs, got 1"));
}

TEST_CASE("graph: reshape to a different element count") {
    ModelFile m = dcgan_test_model();
    op(m, 1)["shape"] = {8, 7, 8};
    CHECK_THAT(load_error(m), Contains("op 1 (reshape)") &&
                                  Contains("[8, 7, 8] holds 448 values per sample, the input [392] has 392"));
}

TEST_CASE("graph: reshape with a -1 that does not divide, or two of them") {
    ModelFile m = dcgan_test_model();
    op(m, 1)["shape"] = {5, -1};
    CHECK_THAT(load_error(m), Contains("op 1 (reshape)") && Contains("[5, -1] cannot hold the 392 values"));
    ModelFile n = dcgan_test_model();
    op(n, 1)["shape"] = {-1, 7, -1};
    CHECK_THAT(load_error(n), Contains("op 1 (reshape)") && Contains("more than one -1"));
}

TEST_CASE("graph: op applied to a value of the wrong rank") {
    ModelFile m = dcgan_test_model();
    op(m, 1)["shape"] = {8, 49};
    CHECK_THAT(load_error(m), Contains("op 4 (conv_transpose2d)") &&
                                  Contains("per-sample shape [8, 49], expected [C, H, W]"));
}

TEST_CASE("graph: add and concat of mismatched shapes") {
    ModelFile a = single_op_model({{"op", "add"}}, {{2, 3}, {3, 2}});
    CHECK_THAT(load_error(a), Contains("op 0 (add)") && Contains("[2, 3] and [3, 2]"));
    ModelFile c = single_op_model({{"op", "concat"}, {"axis", 1}}, {{2, 3, 3}, {1, 3, 4}});
    CHECK_THAT(load_error(c),
               Contains("op 0 (concat)") && Contains("input 1 has per-sample shape [1, 3, 4]"));
    ModelFile axis = single_op_model({{"op", "concat"}, {"axis", 0}}, {{2}, {2}});
    CHECK_THAT(load_error(axis), Contains("attribute 'axis' is 0"));
}

TEST_CASE("graph: conv kernel larger than its input") {
    ModelFile m = single_op_model({{"op", "conv2d"}, {"weight", "w"}}, {{1, 2, 2}});
    m.add_random("w", {1, 1, 3, 3}, 1, 1.0f);
    CHECK_THAT(load_error(m),
               Contains("op 0 (conv2d)") && Contains("kernel 3x3 is larger than the padded input [1, 2, 2]"));
}

TEST_CASE("graph: G's output shape differs from dataset.image") {
    ModelFile m = dcgan_test_model();
    m.doc["dataset"]["image"] = {1, 32, 32};
    CHECK(load_error(m) ==
          "net 'G': output has per-sample shape [1, 28, 28], but dataset.image is [1, 32, 32]");
}

TEST_CASE("graph: net input not declared in the model's inputs") {
    ModelFile m = dcgan_test_model();
    m.doc["nets"]["G"]["inputs"] = {"codes"};
    CHECK_THAT(load_error(m), Contains("net 'G'") && Contains("input 'codes' is not declared"));
}

TEST_CASE("graph: net without ops") {
    ModelFile m = dcgan_test_model();
    m.doc["nets"]["G"]["ops"] = json::array();
    CHECK_THAT(load_error(m), Contains("net 'G'") && Contains("non-empty array of ops"));
}

TEST_CASE("document: newer version") {
    ModelFile m = dcgan_test_model();
    m.doc["version"] = 2;
    CHECK(load_error(m) == "ganzoo metadata: version 2 is newer than this core supports (1)");
}

TEST_CASE("document: wrong format") {
    ModelFile m = dcgan_test_model();
    m.doc["format"] = "onnx";
    CHECK_THAT(load_error(m), Contains("format is 'onnx', expected 'ganzoo-graph'"));
}

TEST_CASE("document: missing required fields") {
    for (const char* field : {"family", "name", "dataset", "inputs", "nets", "version"}) {
        ModelFile m = dcgan_test_model();
        m.doc.erase(field);
        CHECK_THAT(load_error(m), Contains(std::string(field) + " is missing"));
    }
    ModelFile r = dcgan_test_model();
    r.doc["dataset"].erase("range");
    CHECK_THAT(load_error(r), Contains("dataset.range is missing"));
}

TEST_CASE("document: the file has no ganzoo metadata, or it is not JSON") {
    ModelFile m = dcgan_test_model();
    const std::vector<uint8_t> plain = write_safetensors(m.tensors, {});
    CHECK_THROWS_WITH(Model::load(plain.data(), plain.size()), Contains("no 'ganzoo' document"));
    const std::vector<uint8_t> broken = write_safetensors(m.tensors, {{"ganzoo", "{\"format\": "}});
    CHECK_THROWS_WITH(Model::load(broken.data(), broken.size()),
                      Contains("ganzoo metadata: not well-formed JSON"));
}

TEST_CASE("document: image side over max_image_side") {
    ModelFile m = dcgan_test_model();
    LoadLimits limits;
    limits.max_image_side = 16;
    CHECK_THAT(load_error(m, limits), Contains("dataset.image[1] (height) is 28, expected 1..16"));
}

TEST_CASE("document: empty value range") {
    ModelFile m = dcgan_test_model();
    m.doc["dataset"]["range"] = {1.0, -1.0};
    CHECK_THAT(load_error(m), Contains("dataset.range must have lo < hi"));
}

TEST_CASE("document: label classes disagree with dataset.classes") {
    ModelFile m = cgan_test_model();
    m.doc["dataset"]["classes"] = {"a", "b"};
    CHECK_THAT(load_error(m), Contains("inputs.label.classes is 10 but dataset.classes names 2"));
}

TEST_CASE("document: unsupported latent distribution") {
    ModelFile m = dcgan_test_model();
    m.doc["inputs"]["z"]["distribution"] = "uniform";
    CHECK_THAT(load_error(m), Contains("inputs.z.distribution") && Contains("only \"normal\""));
}

TEST_CASE("document: malformed check") {
    ModelFile m = dcgan_test_model();
    add_check(m, 1, 2, 1e-4);
    m.doc["check"]["net"] = "G_AB";
    CHECK_THAT(load_error(m), Contains("check.net") && Contains("'G_AB'"));
    ModelFile n = dcgan_test_model();
    add_check(n, 1, 2, 1e-4);
    n.doc["check"]["values"] = {0.1, "x"};
    CHECK_THAT(load_error(n), Contains("check.values must be a number"));
}

TEST_CASE("limits: an activation over max_activation_elements is refused at load") {
    ModelFile m = dcgan_test_model();
    LoadLimits limits;
    limits.max_activation_elements = 1000;  // the 28x28 output and the GEMM workspaces are larger
    CHECK_THAT(load_error(m, limits),
               Contains("net 'G' op 4 (conv_transpose2d)") && Contains("over the limit of 1000"));
}

TEST_CASE("limits: safetensors limits apply through Model::load") {
    ModelFile m = dcgan_test_model();
    LoadLimits limits;
    limits.max_total_elements = 1000;
    CHECK_THAT(load_error(m, limits), Contains("limit of 1000"));
}

TEST_CASE("tensors no op uses are allowed") {
    ModelFile m = dcgan_test_model();
    m.add_random("D.0.weight", {3, 3}, 5, 1.0f);
    CHECK_NOTHROW(m.load());
}

TEST_CASE("graph: pixel_norm and instance_norm refuse an eps that is not a finite number > 0") {
    for (const char* op_name : {"pixel_norm", "instance_norm"}) {
        for (const json& eps : {json(0.0), json(-1e-5), json(1e-60), json(1e300)}) {
            ModelFile m = single_op_model({{"op", op_name}, {"eps", eps}}, {{3, 4, 4}});
            CHECK_THAT(load_error(m), Contains("net 'net' op 0 (" + std::string(op_name) + ")") &&
                                          Contains("attribute 'eps' is " + eps.dump()) &&
                                          Contains("expected a finite number > 0"));
        }
        ModelFile s = single_op_model({{"op", op_name}, {"eps", "1e-5"}}, {{3, 4, 4}});
        CHECK_THAT(load_error(s), Contains("attribute 'eps' must be a number"));
    }
}

TEST_CASE("graph: reflection_pad2d refuses padding >= the input's height or width") {
    ModelFile h = single_op_model({{"op", "reflection_pad2d"}, {"padding", 3}}, {{2, 3, 5}});
    CHECK(load_error(h) ==
          "net 'net' op 0 (reflection_pad2d): padding [3, 3] must be smaller than the input's height and "
          "width (reflection does not repeat the edge), input [2, 3, 5]");
    ModelFile w = single_op_model({{"op", "reflection_pad2d"}, {"padding", {1, 5}}}, {{2, 3, 5}});
    CHECK_THAT(load_error(w), Contains("op 0 (reflection_pad2d)") && Contains("padding [1, 5] must be smaller"));
    CHECK_NOTHROW(single_op_model({{"op", "reflection_pad2d"}, {"padding", {2, 4}}}, {{2, 3, 5}}).load());
    ModelFile negative = single_op_model({{"op", "reflection_pad2d"}, {"padding", -1}}, {{2, 3, 5}});
    CHECK_THAT(load_error(negative), Contains("attribute 'padding' is -1"));
    ModelFile fractional = single_op_model({{"op", "reflection_pad2d"}, {"padding", 1.0}}, {{2, 3, 5}});
    CHECK_THAT(load_error(fractional), Contains("attribute 'padding' must be an integer or [h, w]"));
    ModelFile missing = single_op_model({{"op", "reflection_pad2d"}}, {{2, 3, 5}});
    CHECK_THAT(load_error(missing), Contains("op 0 (reflection_pad2d)") && Contains("needs attribute 'padding'"));
    ModelFile flat = single_op_model({{"op", "reflection_pad2d"}, {"padding", 1}}, {{30}});
    CHECK_THAT(load_error(flat), Contains("per-sample shape [30], expected [C, H, W]"));
}

TEST_CASE("graph: instance_norm needs weight and bias together, of shape [C], on [C, H, W]") {
    ModelFile only_weight = single_op_model({{"op", "instance_norm"}, {"weight", "w"}}, {{3, 4, 4}});
    only_weight.add_random("w", {3}, 1, 1.0f);
    CHECK(load_error(only_weight) ==
          "net 'net' op 0 (instance_norm): needs both tensors 'weight' and 'bias' or neither, got only 'weight'");
    ModelFile only_bias = single_op_model({{"op", "instance_norm"}, {"bias", "b"}}, {{3, 4, 4}});
    only_bias.add_random("b", {3}, 1, 1.0f);
    CHECK_THAT(load_error(only_bias), Contains("got only 'bias'"));

    ModelFile wrong = single_op_model({{"op", "instance_norm"}, {"weight", "w"}, {"bias", "b"}}, {{3, 4, 4}});
    wrong.add_random("w", {4}, 1, 1.0f);
    wrong.add_random("b", {3}, 2, 1.0f);
    CHECK_THAT(load_error(wrong), Contains("op 0 (instance_norm)") && Contains("weight 'w' has shape [4], expected [3]"));
    ModelFile wrong_bias = single_op_model({{"op", "instance_norm"}, {"weight", "w"}, {"bias", "b"}}, {{3, 4, 4}});
    wrong_bias.add_random("w", {3}, 1, 1.0f);
    wrong_bias.add_random("b", {3, 1}, 2, 1.0f);
    CHECK_THAT(load_error(wrong_bias), Contains("bias 'b' has shape [3, 1], expected [3]"));

    ModelFile features = single_op_model({{"op", "instance_norm"}}, {{12}});
    CHECK_THAT(load_error(features),
               Contains("op 0 (instance_norm)") && Contains("per-sample shape [12], expected [C, H, W]"));
    ModelFile one_pixel = single_op_model({{"op", "instance_norm"}}, {{8, 1, 1}});
    CHECK_THAT(load_error(one_pixel), Contains("more than one pixel per channel"));
}

TEST_CASE("graph: pixel_norm takes [C, H, W] or [F] only") {
    CHECK_NOTHROW(single_op_model({{"op", "pixel_norm"}}, {{12}}).load());
    ModelFile m = single_op_model({{"op", "pixel_norm"}}, {{3, 4}});
    CHECK_THAT(load_error(m), Contains("op 0 (pixel_norm)") && Contains("expected [C, H, W] or [F]"));
}

TEST_CASE("graph: the new ops refuse unknown attributes") {
    const std::pair<json, const char*> cases[] = {
        {{{"op", "pixel_norm"}, {"epsilon", 1e-8}}, "epsilon"},
        {{{"op", "instance_norm"}, {"affine", true}}, "affine"},
        {{{"op", "instance_norm"}, {"momentum", 0.1}}, "momentum"},
        {{{"op", "reflection_pad2d"}, {"padding", 1}, {"mode", "reflect"}}, "mode"}};
    for (const auto& [spec, key] : cases) {
        ModelFile m = single_op_model(spec, {{3, 4, 4}});
        CHECK_THAT(load_error(m), Contains("op 0 (" + spec["op"].get<std::string>() + ")") &&
                                      Contains("unknown attribute '" + std::string(key) + "'"));
    }
}
