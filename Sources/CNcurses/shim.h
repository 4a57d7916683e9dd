// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, so ask for the wide-character API here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <signal.h>
#include <wchar.h>
#include <ncurses.h>

// Macros and globals Swift cannot import, wrapped as static inline functions.
static inline attr_t ferdash_a_normal(void) { return A_NORMAL; }
static inline attr_t ferdash_a_bold(void) { return A_BOLD; }
static inline attr_t ferdash_a_dim(void) { return A_DIM; }
static inline attr_t ferdash_a_reverse(void) { return A_REVERSE; }
static inline int ferdash_colors(void) { return COLORS; }
static inline int ferdash_color_pairs(void) { return COLOR_PAIRS; }
static inline WINDOW *ferdash_stdscr(void) { return stdscr; }
static inline WINDOW *ferdash_curscr(void) { return curscr; }
/* C's stdout and stdin are mutable globals to Swift 6; read once, on the UI thread, for newterm. */
static inline FILE *ferdash_stdout(void) { return stdout; }
static inline FILE *ferdash_stdin(void) { return stdin; }
static inline void ferdash_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
static inline int ferdash_key_code_yes(void) { return KEY_CODE_YES; }
static inline int ferdash_key_resize(void) { return KEY_RESIZE; }
static inline int ferdash_key_up(void) { return KEY_UP; }
static inline int ferdash_key_down(void) { return KEY_DOWN; }
static inline int ferdash_key_left(void) { return KEY_LEFT; }
static inline int ferdash_key_right(void) { return KEY_RIGHT; }
static inline int ferdash_key_ppage(void) { return KEY_PPAGE; }
static inline int ferdash_key_npage(void) { return KEY_NPAGE; }
static inline int ferdash_key_home(void) { return KEY_HOME; }
static inline int ferdash_key_end(void) { return KEY_END; }
static inline int ferdash_key_backspace(void) { return KEY_BACKSPACE; }
static inline int ferdash_key_dc(void) { return KEY_DC; }
static inline int ferdash_key_enter(void) { return KEY_ENTER; }
static inline int ferdash_key_f(int n) { return KEY_F(n); }
static inline int ferdash_key_mouse(void) { return KEY_MOUSE; }

// The mouse: the button bits we ask for and decode, and the event behind a KEY_MOUSE.
static inline mmask_t ferdash_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t ferdash_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t ferdash_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t ferdash_button5_pressed(void) { return BUTTON5_PRESSED; }
static inline int ferdash_get_mouse(int *x, int *y, mmask_t *bstate) {
    MEVENT e;
    if (getmouse(&e) != OK) return ERR;
    *x = e.x; *y = e.y; *bstate = e.bstate;
    return OK;
}

/// One cell through the extended-pair path: `opts` carries an int pair so pairs above 255 work.
static inline int ferdash_put_cell(WINDOW *w, int y, int x, wchar_t ch, attr_t attrs, int pair) {
    cchar_t cc;
    wchar_t text[2] = { ch, 0 };
    if (setcchar(&cc, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(w, y, x, &cc);
}

static inline int ferdash_locale_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

// SIGINT/SIGTERM only set a flag; the UI loop reads it each tick and shuts down cleanly
// (a signal handler must not call curses).
static volatile sig_atomic_t ferdash_signal_received = 0;
static void ferdash_on_signal(int sig) { ferdash_signal_received = sig; }
static inline void ferdash_install_signal_flags(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ferdash_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGHUP, &sa, 0);
}
// A crash (trap, abort, bad access) must not leave the person's terminal in raw mode: restore it
// as a best effort, then let the default action run (SA_RESETHAND) so the crash is still reported.
static void ferdash_on_crash(int sig) {
    endwin();
    raise(sig);
}
static inline void ferdash_install_crash_restore(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ferdash_on_crash;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, 0);
}
static inline int ferdash_take_signal(void) {
    int s = ferdash_signal_received;
    ferdash_signal_received = 0;
    return s;
}
