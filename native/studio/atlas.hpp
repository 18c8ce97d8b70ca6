// GL textures of image batches: an atlas, `columns` images per row, drawn cell by cell by ImGui.
#pragma once

#include "imgui.h"
#include "worker.hpp"

namespace ganzoo::studio {

struct Atlas {
    unsigned int tex = 0;                    // the GL texture (0: none yet)
    int columns = 1, width = 0, height = 0;  // atlas size in pixels
    Images images;

    void upload(Images imgs, int cols);
    bool ready() const { return tex && images.count > 0; }
    // Draws image i at `size` pixels.
    void draw(int i, ImVec2 size) const;
};

}  // namespace ganzoo::studio
