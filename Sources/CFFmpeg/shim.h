// FFmpeg's libraries as Swift sees them (Debian: libavformat-dev libavcodec-dev libavutil-dev
// libswscale-dev libavdevice-dev). Only VideoDecoding imports this module. The static inline
// functions stand in for macros Swift cannot import.
#pragma once
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

static inline int cffmpeg_error_again(void) { return AVERROR(EAGAIN); }
static inline int cffmpeg_error_eof(void) { return AVERROR_EOF; }
static inline int64_t cffmpeg_no_pts(void) { return AV_NOPTS_VALUE; }
static inline int cffmpeg_error_invalid_data(void) { return AVERROR_INVALIDDATA; }
static inline int cffmpeg_error_exit(void) { return AVERROR_EXIT; }
static inline int cffmpeg_error_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int cffmpeg_error_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int cffmpeg_error_from_errno(int e) { return AVERROR(e); }
static inline int cffmpeg_errno_from_error(int err) { return AVUNERROR(err); }

// Degrees counterclockwise the stream's display matrix turns the coded picture (NaN when the
// stream has none), as av_display_rotation_get reports it.
static inline double cffmpeg_stream_rotation(const AVStream *st) {
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t)) return __builtin_nan("");
    return av_display_rotation_get((const int32_t *)matrix);
}

// Writes a display matrix turning the picture `degrees` counterclockwise (0 on success).
static inline int cffmpeg_set_stream_rotation(AVStream *st, double degrees) {
    uint8_t *matrix = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
    if (!matrix) return AVERROR(ENOMEM);
    av_display_rotation_set((int32_t *)matrix, degrees);
    return 0;
}

// What FFmpeg's blocking reads poll (AVIOInterruptCB): a stop flag another thread may set, and a
// deadline for the read in progress. Plain fields used only through the __atomic builtins, so
// Swift imports the struct and interrupt() can be called from any thread.
typedef struct cffmpeg_interrupt {
    int stop;          // set by cffmpeg_interrupt_stop; sticky
    int timed_out;     // set by the callback when it gave up because of the deadline
    int64_t deadline;  // av_gettime_relative() microseconds; 0 = none
} cffmpeg_interrupt;

static inline int cffmpeg_interrupt_check(void *opaque) {
    cffmpeg_interrupt *s = (cffmpeg_interrupt *)opaque;
    if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) return 1;
    int64_t deadline = __atomic_load_n(&s->deadline, __ATOMIC_SEQ_CST);
    if (deadline > 0 && av_gettime_relative() > deadline) {
        __atomic_store_n(&s->timed_out, 1, __ATOMIC_SEQ_CST);
        return 1;
    }
    return 0;
}
static inline void cffmpeg_interrupt_install(AVFormatContext *ctx, cffmpeg_interrupt *s) {
    ctx->interrupt_callback.callback = cffmpeg_interrupt_check;
    ctx->interrupt_callback.opaque = s;
}
static inline void cffmpeg_interrupt_stop(cffmpeg_interrupt *s) { __atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST); }
static inline int cffmpeg_interrupt_stopped(cffmpeg_interrupt *s) { return __atomic_load_n(&s->stop, __ATOMIC_SEQ_CST); }
static inline int cffmpeg_interrupt_timed_out(cffmpeg_interrupt *s) { return __atomic_load_n(&s->timed_out, __ATOMIC_SEQ_CST); }
// Arms the deadline `microseconds` from now (0 disarms it) and clears an earlier time-out.
static inline void cffmpeg_interrupt_arm(cffmpeg_interrupt *s, int64_t microseconds) {
    __atomic_store_n(&s->timed_out, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&s->deadline, microseconds > 0 ? av_gettime_relative() + microseconds : 0, __ATOMIC_SEQ_CST);
}

// FFmpeg's log, silenced, but not ignored: H.264 and others conceal a damaged slice without
// returning an error, and say so only in the log ("error while decoding MB ..."). Each decoder
// and demuxer context's `opaque` points at a tally that this callback counts error-level lines
// into (frame threads copy `opaque` into their contexts, so their lines count too). With
// `verbose` the lines are also printed as FFmpeg would (the default callback filters by the log
// level, which is quiet otherwise; av_vlog calls this one whatever the level).
typedef struct cffmpeg_tally { int errors; } cffmpeg_tally;
static inline void cffmpeg_log_callback(void *avcl, int level, const char *fmt, va_list vl) {
    if (avcl && level <= AV_LOG_ERROR) {
        const AVClass *cls = *(const AVClass **)avcl;
        cffmpeg_tally *tally = NULL;
        if (cls == avcodec_get_class()) tally = (cffmpeg_tally *)((AVCodecContext *)avcl)->opaque;
        else if (cls == avformat_get_class()) tally = (cffmpeg_tally *)((AVFormatContext *)avcl)->opaque;
        if (tally) __atomic_add_fetch(&tally->errors, 1, __ATOMIC_RELAXED);
    }
    av_log_default_callback(avcl, level, fmt, vl);
}
static inline void cffmpeg_log_install(int verbose) {
    av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_QUIET);
    av_log_set_callback(cffmpeg_log_callback);
}
static inline int cffmpeg_tally_errors(const cffmpeg_tally *t) { return __atomic_load_n(&t->errors, __ATOMIC_RELAXED); }
