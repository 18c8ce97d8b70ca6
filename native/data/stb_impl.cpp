// The one translation unit that compiles stb_image and stb_image_resize (header-only
// libraries; we never link Debian's libstb.so, so a machine without packages builds from
// the carried headers). Anything linking ganzoo_data gets stbi_* and stbir_* from here and
// must not define STB_IMAGE_IMPLEMENTATION / STB_IMAGE_RESIZE_IMPLEMENTATION again.
// stb_image_write is not compiled here.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#include <stb_image.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
