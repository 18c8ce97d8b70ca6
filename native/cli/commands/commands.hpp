// ganzoo CLI: one file per command in this folder. Each add_* registers its subcommands on the
// app; the options it parses live in an options struct owned by the subcommand's callback, and
// run_* does the work (main.cpp only dispatches and reports errors).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common.hpp"

namespace ganzoo::cli {

void add_models(CLI::App& app);                                         // models         (inspect.cpp)
void add_train(CLI::App& app, const Invocation& invocation);            // train          (train.cpp)
void add_export(CLI::App& app);                                         // export         (export.cpp)
void add_sample(CLI::App& app);                                         // sample, interpolate (sample.cpp)
void add_inspect(CLI::App& app);                                        // info, report, verify (inspect.cpp)
void add_launch(CLI::App& app, const Invocation& invocation);           // launch         (launch.cpp)
void add_train_classifier(CLI::App& app, const Invocation& invocation); // train-classifier (train.cpp)
void add_eval(CLI::App& app);                                           // eval           (eval.cpp)
void add_translate(CLI::App& app);                                      // translate      (translate.cpp)
void add_serve(CLI::App& app);                                          // serve          (serve.cpp)
void add_project(CLI::App& app);                                        // project        (project.cpp)

// `sample FILE --z DIR/projection.json` (project.cpp): the request that draws the image `project`
// found, one sample, after checking that the projection was made with this model file.
GenerateRequest read_projection(const std::string& model_file, const Model& model, const std::string& path);

}  // namespace ganzoo::cli
