#include "atlas.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <GLFW/glfw3.h>  // its GL header: OpenGL natively, GLES 3 under emcc (GLFW_INCLUDE_ES3)

namespace ganzoo::studio {

void Atlas::upload(Images imgs, int cols) {
    images = std::move(imgs);
    columns = std::max(1, std::min(cols, std::max(1, images.count)));
    const int rows = (images.count + columns - 1) / columns;
    width = columns * images.width;
    height = std::max(1, rows) * images.height;
    std::vector<uint8_t> px(static_cast<size_t>(width) * height * 4, 0);
    for (int i = 0; i < images.count; ++i) {
        const int cx = (i % columns) * images.width, cy = (i / columns) * images.height;
        for (int y = 0; y < images.height; ++y)
            std::memcpy(&px[(static_cast<size_t>(cy + y) * width + cx) * 4],
                        images.image(i) + static_cast<size_t>(y) * images.width * 4,
                        static_cast<size_t>(images.width) * 4);
    }
    if (!tex) glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
}

void Atlas::draw(int i, ImVec2 size) const {
    const float u0 = float((i % columns) * images.width) / float(width);
    const float v0 = float((i / columns) * images.height) / float(height);
    const float u1 = u0 + float(images.width) / float(width), v1 = v0 + float(images.height) / float(height);
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), size, ImVec2(u0, v0), ImVec2(u1, v1));
}

}  // namespace ganzoo::studio
