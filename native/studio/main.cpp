// ganzoo studio: the models in a Dear ImGui app, one source for the desktop (GLFW + OpenGL 3) and
// the browser (Emscripten's GLFW + WebGL 2), laid out as Dear ImGui's own examples: this file
// opens the window and runs the frames; what differs between the two is platform.hpp (CMake
// compiles platform_glfw.cpp or platform_web.cpp), the app itself is app.hpp.
//
// Options: options.hpp (the command line, or the page's URL; --help prints them). The script
// the tests drive: script.cpp. Guide: docs/studio.md.
#include <cmath>
#include <cstdio>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

#include <GLFW/glfw3.h>  // its GL header: OpenGL natively, GLES 3 under emcc (GLFW_INCLUDE_ES3)

#include "app.hpp"
#include "platform.hpp"

using ganzoo::studio::App;
using ganzoo::studio::Options;
namespace platform = ganzoo::studio::platform;

namespace {

App* g_app = nullptr;
GLFWwindow* g_window = nullptr;

// Each key press for the app's shortcuts (App::taps): Dear ImGui's backend calls this after its
// own callback, having found it installed before it.
void on_key(GLFWwindow*, int key, int, int action, int) {
    if (g_app && action == GLFW_PRESS) g_app->taps.push_back(key);
}

#ifndef __EMSCRIPTEN__
// A file dropped on the window: the Project panel's target (the first one, when several).
void on_drop(GLFWwindow*, int count, const char** paths) {
    if (g_app && count > 0) g_app->on_drop(paths[0]);
}
#endif

void frame() {
    App& app = *g_app;
    if (const auto ratio = platform::fit_window(g_window); ratio && app.options.scale == 0 && std::fabs(*ratio - app.scale) > 0.01f)
        app.scale = *ratio;
    glfwPollEvents();
    app.update();

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(g_window, &fw, &fh);
    app.run_script();
    ImGui::NewFrame();
    app.build_ui();
    app.taps.clear();  // read by this frame's shortcuts
    ImGui::Render();
    glViewport(0, 0, fw, fh);
    glClearColor(0.10f, 0.11f, 0.13f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    app.end_frame(fw, fh);
    glfwSwapBuffers(g_window);
}

// The window with an OpenGL 3 (WebGL 2) context, and Dear ImGui on it at the app's scale.
bool open_window(App& app) {
    glfwSetErrorCallback([](int code, const char* text) { std::fprintf(stderr, "ganzoo-studio: GLFW error %d: %s\n", code, text); });
    if (!glfwInit()) {
        std::fprintf(stderr, "ganzoo-studio: cannot initialise GLFW (no display? run under xvfb-run)\n");
        return false;
    }
    const char* glsl = platform::gl_hints();
    int width = app.options.width, height = app.options.height;
    platform::first_window_size(width, height);
    g_window = glfwCreateWindow(width, height, "ganzoo studio", nullptr, nullptr);
    if (!g_window) {
        std::fprintf(stderr, "ganzoo-studio: cannot open a window with OpenGL 3 (no display? run under xvfb-run)\n");
        glfwTerminate();
        return false;
    }
    glfwMakeContextCurrent(g_window);
    // Benchmarks and scripted runs measure the app, not the display's refresh.
    const Options& o = app.options;
    glfwSwapInterval(o.bench || !o.script.empty() || !o.screenshot.empty() ? 0 : 1);

    // High DPI: fonts and sizes follow the monitor's content scale (the browser's devicePixelRatio).
    app.scale = o.scale > 0 ? o.scale : platform::display_scale(g_window);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the app loads and saves the text (settings.hpp)
    ImGui::StyleColorsDark();
    ImGui::GetStyle().ScaleAllSizes(app.scale);
    ImFontConfig font;
    font.SizePixels = std::round(13.0f * app.scale);
    io.Fonts->AddFontDefault(&font);
    ganzoo::studio::register_settings(app.settings);
    app.start();
    glfwSetKeyCallback(g_window, on_key);
#ifndef __EMSCRIPTEN__
    // Natively GLFW gives dropped files' paths. In the browser the page decodes a dropped image
    // itself (platform::on_image_file): Emscripten's GLFW, without this callback, leaves drops alone.
    glfwSetDropCallback(g_window, on_drop);
#endif
    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    ImGui_ImplOpenGL3_Init(glsl);
    return true;
}

}  // namespace

// The main loop: the browser calls frame() itself, main returns and the app lives on (the page
// keeps its own event loop); the desktop loops until the window closes or the script quits.
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
static int run(App&) {
    emscripten_set_main_loop(frame, 0, false);
    return 0;
}
#else
static int run(App& app) {
    while (!app.quit && !glfwWindowShouldClose(g_window)) frame();
    if (ImGui::GetIO().WantSaveIniSettings || app.store.remember) app.store.save(ImGui::SaveIniSettingsToMemory());
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(g_window);
    glfwTerminate();
    return app.exit_code;
}
#endif

int main(int argc, char** argv) {
    static App app(ganzoo::studio::parse_options(platform::arguments(argc, argv)));
    g_app = &app;
    if (!open_window(app)) return 1;
    if (!app.find_models()) return 1;
    return run(app);
}
