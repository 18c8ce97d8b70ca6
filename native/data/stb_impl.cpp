// The one translation unit that compiles stb_image and stb_image_resize (header-only
// libraries; we never link Debian's libstb.so, so a machine without packages builds from
// the carried headers). Anything linking ganzoo_data gets stbi_* and stbir_* from here and
// must not define STB_IMAGE_IMPLEMENTATION / STB_IMAGE_RESIZE_IMPLEMENTATION again.
// stb_image_write is not compiled here.
#include <cstdlib>

// Zero-filled allocations for stb_image: a crafted JPEG can make it decode with a Huffman table no
// segment defined (image_folder.cpp refuses the cases its walk of the file sees). From zeroed
// memory such a table decodes zeros, the same way every time, instead of whatever the heap held.
#define STBI_MALLOC(size) std::calloc(1, size)
#define STBI_REALLOC(p, size) std::realloc(p, size)
#define STBI_FREE(p) std::free(p)
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#include <stb_image.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>

namespace ganzoo::data {
// stb_image keeps its last failure reason (per thread) until the next failure, and some failures
// set none: image_folder.cpp clears it before each call so that a reason it reports is current.
void clear_stb_failure_reason() { stbi__g_failure_reason = nullptr; }
}  // namespace ganzoo::data
