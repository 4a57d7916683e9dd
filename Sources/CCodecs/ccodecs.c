// C glue for zlib, libpng and libjpeg. See include/ccodecs.h for the contract of each function.
#include "ccodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <zlib.h>
#include <png.h>
#include <jpeglib.h>
#include <jerror.h>

void ccodecs_free(void *p) { free(p); }

static void set_message(char *message, size_t cap, const char *text) {
    if (message == NULL || cap == 0) return;
    snprintf(message, cap, "%s", text ? text : "");
}

// MARK: - gzip

struct ccodecs_gunzip_stream {
    z_stream z;
    // Compressed bytes are read from fd into a small buffer we own, so only buf_cap bytes of the
    // input are ever resident, however big the file is.
    int fd;
    uint8_t *buf;
    size_t buf_cap;
    int eof;         // read() returned 0
    int ended;       // the last member's trailer was read
};

ccodecs_gunzip_stream *ccodecs_gunzip_begin_fd(int fd, const uint8_t *prefix, size_t prefix_len) {
    ccodecs_gunzip_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    // 15 + 16: maximal window, expect a gzip header (not raw zlib).
    if (inflateInit2(&s->z, 15 + 16) != Z_OK) { free(s); return NULL; }
    s->fd = fd;
    s->buf_cap = 256u << 10; // big enough that read() calls are cheap, small next to the output
    if (s->buf_cap < prefix_len) s->buf_cap = prefix_len;
    s->buf = malloc(s->buf_cap);
    if (!s->buf) { inflateEnd(&s->z); free(s); return NULL; }
    if (prefix_len) memcpy(s->buf, prefix, prefix_len);
    s->z.next_in = s->buf;
    s->z.avail_in = (uInt)prefix_len;
    return s;
}

void ccodecs_gunzip_end(ccodecs_gunzip_stream *s) {
    if (!s) return;
    inflateEnd(&s->z);
    free(s->buf);
    free(s);
}

/// Tops up zlib's input from the file. Unconsumed bytes are kept (moved to the front), so a caller
/// needing `want` contiguous bytes (the 2-byte magic of a next member) gets them when they exist.
static int refill(ccodecs_gunzip_stream *s, size_t want, char *message, size_t message_cap) {
    while (s->z.avail_in < want && !s->eof) {
        if (s->z.avail_in > 0 && s->z.next_in != s->buf) memmove(s->buf, s->z.next_in, s->z.avail_in);
        s->z.next_in = s->buf;
        ssize_t n = read(s->fd, s->buf + s->z.avail_in, s->buf_cap - s->z.avail_in);
        if (n < 0) {
            if (errno == EINTR) continue;
            set_message(message, message_cap, strerror(errno));
            return CCODECS_ERR_IO;
        }
        if (n == 0) s->eof = 1;
        s->z.avail_in += (uInt)n;
    }
    return CCODECS_OK;
}

int ccodecs_gunzip_next(ccodecs_gunzip_stream *s, uint8_t *out, size_t cap, size_t *produced, int *done,
                        char *message, size_t message_cap) {
    *produced = 0;
    *done = s->ended;
    size_t len = 0;
    while (len < cap && !s->ended) {
        if (s->z.avail_in == 0) {
            int io = refill(s, 1, message, message_cap);
            if (io != CCODECS_OK) { *produced = len; return io; }
        }
        // zlib's counters are uInt: drain at most 1 GiB at a time so huge outputs work too.
        size_t room = cap - len;
        if (room > (1u << 30)) room = 1u << 30;
        s->z.next_out = out + len;
        s->z.avail_out = (uInt)room;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        size_t got = room - s->z.avail_out;
        len += got;
        if (rc == Z_STREAM_END) {
            // Concatenated members (what `cat a.gz b.gz` makes) decode as one stream, like gunzip.
            int io = refill(s, 2, message, message_cap);
            if (io != CCODECS_OK) { *produced = len; return io; }
            int more = s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b;
            if (more) {
                inflateReset(&s->z);
                continue;
            }
            s->ended = 1; // trailing bytes that are not a gzip member are ignored, as gunzip does
            break;
        }
        if (rc == Z_OK || rc == Z_BUF_ERROR) {
            int input_exhausted = s->z.avail_in == 0 && s->eof;
            if (input_exhausted && s->z.avail_out != 0) {
                *produced = len;
                set_message(message, message_cap, "unexpected end of gzip data");
                return CCODECS_ERR_TRUNCATED;
            }
            continue; // output full (loop ends) or more input to feed
        }
        *produced = len;
        set_message(message, message_cap, s->z.msg ? s->z.msg : "corrupt deflate data");
        return rc == Z_MEM_ERROR ? CCODECS_ERR_NOMEM : CCODECS_ERR_CORRUPT;
    }
    *produced = len;
    *done = s->ended;
    return CCODECS_OK;
}

int ccodecs_gzip(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return CCODECS_ERR_NOMEM;
    size_t cap = deflateBound(&s, (uLong)in_len) + 64;
    uint8_t *buf = malloc(cap);
    if (!buf) { deflateEnd(&s); return CCODECS_ERR_NOMEM; }
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    s.next_out = buf;
    s.avail_out = (uInt)cap;
    int rc = deflate(&s, Z_FINISH);
    size_t len = cap - s.avail_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) { free(buf); return CCODECS_ERR_CORRUPT; }
    *out = buf;
    *out_len = len;
    return CCODECS_OK;
}

// MARK: - PNG (png_image for the header and for writing; it reports errors without setjmp)

int ccodecs_png_info(const uint8_t *data, size_t len, uint32_t *width, uint32_t *height,
                     char *message, size_t message_cap) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, len)) {
        set_message(message, message_cap, image.message);
        png_image_free(&image);
        return CCODECS_ERR_CORRUPT;
    }
    *width = image.width;
    *height = image.height;
    png_image_free(&image);
    return CCODECS_OK;
}

// Decoding uses libpng's classic API rather than png_image: the simplified API treats 16-bit
// files as linear light and gamma-encodes them (0x8080 would come out as 186, not 128). Here every
// depth is scaled as stored values, like 8-bit files and like the FER2013 CSV pixels.
struct png_memory_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
};

struct png_failure {
    jmp_buf jump;
    char text[200];
};

static void png_read_from_memory(png_structp png, png_bytep out, png_size_t count) {
    struct png_memory_reader *r = png_get_io_ptr(png);
    if (count > r->len - r->pos) png_error(png, "file ends early (truncated PNG)");
    memcpy(out, r->data + r->pos, count);
    r->pos += count;
}

static void png_error_jump(png_structp png, png_const_charp text) {
    struct png_failure *f = png_get_error_ptr(png);
    snprintf(f->text, sizeof f->text, "%s", text ? text : "error");
    longjmp(f->jump, 1);
}

static void png_warning_quiet(png_structp png, png_const_charp text) { (void)png; (void)text; }

int ccodecs_png_decode_rgba(const uint8_t *data, size_t len, uint8_t *rgba, uint32_t width, uint32_t height,
                            char *message, size_t message_cap) {
    struct png_failure failure;
    failure.text[0] = 0;
    struct png_memory_reader reader = { data, len, 0 };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, png_error_jump, png_warning_quiet);
    if (!png) { set_message(message, message_cap, "out of memory"); return CCODECS_ERR_NOMEM; }
    png_infop info = png_create_info_struct(png);
    // volatile: assigned after setjmp and freed in the error branch.
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(failure.jump)) {
        set_message(message, message_cap, failure.text[0] ? failure.text : "out of memory");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(rows);
        return CCODECS_ERR_CORRUPT;
    }
    png_set_read_fn(png, &reader, png_read_from_memory);
    png_read_info(png, info);
    if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height) {
        png_error(png, "size changed between calls");
    }
    png_set_scale_16(png);          // 16 → 8 bits, rounded
    png_set_expand(png);            // palette → RGB, 1/2/4-bit gray → 8-bit, tRNS → alpha
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER); // opaque files get A = 255: always 4 channels
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) png_error(png, "unexpected row layout");
    rows = malloc(sizeof(png_bytep) * height);
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = rgba + (size_t)y * width * 4;
    png_read_image(png, rows);
    // Chunks after the image data (text, IEND) are not needed: a file cut after its pixels still loads.
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return CCODECS_OK;
}

int ccodecs_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                      char *message, size_t message_cap) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    switch (channels) {
    case 1: image.format = PNG_FORMAT_GRAY; break;
    case 3: image.format = PNG_FORMAT_RGB; break;
    case 4: image.format = PNG_FORMAT_RGBA; break;
    default: set_message(message, message_cap, "channels must be 1, 3 or 4"); return CCODECS_ERR_UNSUPPORTED;
    }
    if (!png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) {
        set_message(message, message_cap, image.message);
        png_image_free(&image);
        return CCODECS_ERR_CORRUPT;
    }
    return CCODECS_OK;
}

// MARK: - JPEG (libjpeg's error_exit must not return: longjmp back here instead of exit())

struct ccodecs_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int truncated; // set by a premature-EOF warning, which libjpeg would otherwise hide
    char text[JMSG_LENGTH_MAX];
};

static void jpeg_error_exit_jump(j_common_ptr cinfo) {
    struct ccodecs_jpeg_error *err = (struct ccodecs_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->text);
    longjmp(err->jump, 1);
}

static void jpeg_emit_quiet(j_common_ptr cinfo, int level) {
    // Warnings (level -1) would go to stderr; remember truncation, drop the rest.
    struct ccodecs_jpeg_error *err = (struct ccodecs_jpeg_error *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = 1;
}

static void jpeg_output_quiet(j_common_ptr cinfo) { (void)cinfo; }

static void install_errors(struct ccodecs_jpeg_error *err) {
    jpeg_std_error(&err->base);
    err->base.error_exit = jpeg_error_exit_jump;
    err->base.emit_message = jpeg_emit_quiet;
    err->base.output_message = jpeg_output_quiet;
    err->truncated = 0;
    err->text[0] = 0;
}

static int jpeg_is_cmyk(const struct jpeg_decompress_struct *cinfo) {
    return cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
}

// What to do with a JPEG once its header is read; returns a CCODECS status.
typedef int (*jpeg_reader)(struct jpeg_decompress_struct *cinfo, struct ccodecs_jpeg_error *err, void *context,
                           char *message, size_t message_cap);

// Reads the header of the JPEG in `data`, then runs `read` on it. A libjpeg error in either
// longjmps back into this frame, which stays live while `read` runs, so the setjmp handling and
// the cleanup are written once for every reader.
static int jpeg_read(const uint8_t *data, size_t len, jpeg_reader read, void *context,
                     char *message, size_t message_cap) {
    struct jpeg_decompress_struct cinfo;
    struct ccodecs_jpeg_error err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = (struct jpeg_error_mgr *)&err;
    install_errors(&err);
    if (setjmp(err.jump)) {
        set_message(message, message_cap, err.text);
        jpeg_destroy_decompress(&cinfo);
        return CCODECS_ERR_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    int status = read(&cinfo, &err, context, message, message_cap);
    jpeg_destroy_decompress(&cinfo);
    return status;
}

struct jpeg_info { uint32_t *width, *height; int *components; };

static int jpeg_read_info(struct jpeg_decompress_struct *cinfo, struct ccodecs_jpeg_error *err, void *context,
                          char *message, size_t message_cap) {
    (void)err;
    struct jpeg_info *info = context;
    *info->width = cinfo->image_width;
    *info->height = cinfo->image_height;
    *info->components = cinfo->num_components;
    if (jpeg_is_cmyk(cinfo)) {
        set_message(message, message_cap, "CMYK JPEG is not supported");
        return CCODECS_ERR_UNSUPPORTED;
    }
    return CCODECS_OK;
}

int ccodecs_jpeg_info(const uint8_t *data, size_t len, uint32_t *width, uint32_t *height,
                      int *components, char *message, size_t message_cap) {
    struct jpeg_info info = { width, height, components };
    return jpeg_read(data, len, jpeg_read_info, &info, message, message_cap);
}

struct jpeg_rgb { uint8_t *rgb; uint32_t width, height; };

static int jpeg_read_rgb(struct jpeg_decompress_struct *cinfo, struct ccodecs_jpeg_error *err, void *context,
                         char *message, size_t message_cap) {
    struct jpeg_rgb *out = context;
    if (cinfo->image_width != out->width || cinfo->image_height != out->height) {
        set_message(message, message_cap, "size changed between calls");
        return CCODECS_ERR_CORRUPT;
    }
    if (jpeg_is_cmyk(cinfo)) {
        set_message(message, message_cap, "CMYK JPEG is not supported");
        return CCODECS_ERR_UNSUPPORTED;
    }
    // Always RGB out, so the gray weights are applied in one place (Swift) for every format.
    cinfo->out_color_space = JCS_RGB;
    jpeg_start_decompress(cinfo);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = out->rgb + (size_t)cinfo->output_scanline * out->width * 3;
        jpeg_read_scanlines(cinfo, &row, 1);
        if (err->truncated) break;
    }
    if (!err->truncated) jpeg_finish_decompress(cinfo);
    if (err->truncated) {
        set_message(message, message_cap, "JPEG data ends early (truncated file)");
        return CCODECS_ERR_TRUNCATED;
    }
    return CCODECS_OK;
}

int ccodecs_jpeg_decode_rgb(const uint8_t *data, size_t len, uint8_t *rgb, uint32_t width, uint32_t height,
                            char *message, size_t message_cap) {
    struct jpeg_rgb out = { rgb, width, height };
    return jpeg_read(data, len, jpeg_read_rgb, &out, message, message_cap);
}

int ccodecs_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                        uint8_t **out, size_t *out_len, char *message, size_t message_cap) {
    *out = NULL;
    *out_len = 0;
    if (channels != 1 && channels != 3) { set_message(message, message_cap, "channels must be 1 or 3"); return CCODECS_ERR_UNSUPPORTED; }
    struct jpeg_compress_struct cinfo;
    struct ccodecs_jpeg_error err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = (struct jpeg_error_mgr *)&err;
    install_errors(&err);
    // volatile: these change after setjmp and are read in the error branch.
    unsigned char *volatile mem = NULL;
    unsigned long mem_len = 0;
    if (setjmp(err.jump)) {
        set_message(message, message_cap, err.text);
        jpeg_destroy_compress(&cinfo);
        free(mem);
        return CCODECS_ERR_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    unsigned char *dest = NULL;
    jpeg_mem_dest(&cinfo, &dest, &mem_len);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    mem = dest;
    jpeg_destroy_compress(&cinfo);
    *out = mem;
    *out_len = mem_len;
    return CCODECS_OK;
}
