/* Value primitives of the pattern engine: accounted allocation, hashing,
 * canonical number keys, IP literals, '*'-globs, case folding, and the
 * direct check of one operator against one value. */
#include <arpa/inet.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "src/patterns/pat_int.h"

void *sl_pat_alloc(size_t *mem, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p && mem)
        *mem += malloc_usable_size(p);
    return p;
}

void *sl_pat_realloc(size_t *mem, void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n ? n : 1);
    if (q && mem)
        *mem = *mem - old + malloc_usable_size(q);
    return q;
}

void sl_pat_dealloc(size_t *mem, void *p)
{
    if (!p)
        return;
    if (mem)
        *mem -= malloc_usable_size(p);
    free(p);
}

char *sl_pat_memdup(size_t *mem, const char *s, size_t n)
{
    char *p = sl_pat_alloc(mem, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

uint64_t sl_pat_hash(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t x = 0, y = 0;
    if (n <= 8) {
        if (n)
            memcpy(&x, b, n); /* the n bytes, zero-extended, as sl_pat_hash8 */
    } else if (n <= 16) {
        memcpy(&x, b, 8);
        memcpy(&y, b + n - 8, 8);
    } else {
        size_t left = n;
        uint64_t s = seed;
        for (; left > 16; b += 16, left -= 16) {
            memcpy(&x, b, 8);
            memcpy(&y, b + 8, 8);
            s = sl_pat_mum(x ^ SL_PAT_K1, y ^ s ^ SL_PAT_K2);
        }
        memcpy(&x, b + left - 16, 8); /* the last 16 bytes, overlapping */
        memcpy(&y, b + left - 8, 8);
        seed = s;
    }
    return sl_pat_hash_fin(x, y, n, seed);
}

void sl_pat_num_key(double v, char out[8])
{
    if (v == 0)
        v = 0; /* -0 and 0 are one number */
    memcpy(out, &v, 8);
}

size_t sl_pat_ip_key(const char *s, size_t len, char out[129])
{
    char tmp[64];
    unsigned char addr[16];
    if (len == 0 || len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    int fam = memchr(tmp, ':', len) ? AF_INET6 : AF_INET;
    if (inet_pton(fam, tmp, addr) != 1)
        return 0;
    size_t bits = fam == AF_INET ? 32 : 128;
    out[0] = fam == AF_INET ? '4' : '6';
    for (size_t i = 0; i < bits; i++)
        out[1 + i] = (char)((addr[i / 8] >> (7 - i % 8)) & 1);
    return 1 + bits;
}

int sl_pat_glob_parse(const char *s, size_t len, struct sl_pat_glob *g, char *msg, size_t msglen)
{
    memset(g, 0, sizeof(*g));
    g->text = malloc(len + 1);
    g->seg_len = malloc(sizeof(uint32_t) * (len + 2));
    if (!g->text || !g->seg_len) {
        snprintf(msg, msglen, "out of memory");
        goto err_after_alloc;
    }
    size_t out = 0, seg_start = 0;
    bool seg_open = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '*') {
            if (i + 1 < len && s[i + 1] == '*') {
                snprintf(msg, msglen, "Consecutive wildcard characters at pos %zu", i + 1);
                goto err_after_alloc;
            }
            if (i == 0)
                g->lead_star = true;
            if (seg_open)
                g->seg_len[g->nseg++] = (uint32_t)(out - seg_start);
            seg_open = false;
            if (i + 1 == len)
                g->trail_star = true;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= len || (s[i + 1] != '*' && s[i + 1] != '\\')) {
                snprintf(msg, msglen, "Invalid escape character at pos %zu", i + 1);
                goto err_after_alloc;
            }
            c = s[++i];
        }
        if (!seg_open) {
            seg_open = true;
            seg_start = out;
        }
        g->text[out++] = c;
    }
    if (seg_open || g->nseg == 0)
        g->seg_len[g->nseg++] = (uint32_t)(out - seg_start);
    g->text[out] = 0;
    return 0;

err_after_alloc:
    sl_pat_glob_free(g);
    return -1;
}

void sl_pat_glob_free(struct sl_pat_glob *g)
{
    free(g->text);
    free(g->seg_len);
    memset(g, 0, sizeof(*g));
}

/* Only '*' is special, so leftmost-first placement of each middle segment
 * is optimal: a later placement can only leave less room for the rest. */
bool sl_pat_glob_match(const struct sl_pat_glob *g, const char *s, size_t len)
{
    const char *t = g->text;
    uint32_t first = 0, last = g->nseg;
    size_t lo = 0, hi = len;
    if (!g->lead_star) {
        size_t n = g->seg_len[0];
        if (n > len || memcmp(s, t, n) != 0)
            return false;
        lo = n;
        t += n;
        first = 1;
        if (g->nseg == 1 && !g->trail_star)
            return n == len;
    }
    if (!g->trail_star && last > first) {
        size_t n = g->seg_len[last - 1];
        const char *lt = g->text;
        for (uint32_t i = 0; i + 1 < last; i++)
            lt += g->seg_len[i];
        if (n > hi - lo || memcmp(s + len - n, lt, n) != 0)
            return false;
        hi = len - n;
        last--;
    }
    for (uint32_t i = first; i < last; i++) {
        size_t n = g->seg_len[i];
        if (n) {
            const char *f = memmem(s + lo, hi - lo, t, n);
            if (!f)
                return false;
            lo = (size_t)(f - s) + n;
        }
        t += n;
    }
    return true;
}

static locale_t fold_locale;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
    fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decodes one UTF-8 sequence; invalid bytes pass through as themselves. */
static size_t utf8_get(const unsigned char *s, size_t len, uint32_t *c)
{
    unsigned char b = s[0];
    size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (n == 1 || n > len) {
        *c = b;
        return 1;
    }
    uint32_t v = b & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *c = b;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *c = v;
    return n;
}

long sl_pat_fold_into(const char *s, size_t len, char **buf, size_t *cap)
{
    /* Folding never needs more than 4 bytes per input byte. */
    size_t need = len * 4 + 1;
    if (*cap < need) {
        char *nb = realloc(*buf, need);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = need;
    }
    char *o = *buf;
    size_t out = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char b = u[i];
        if (b < 0x80) {
            o[out++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        pthread_once(&fold_once, fold_init);
        uint32_t c;
        size_t n = utf8_get(u + i, len - i, &c);
        if (fold_locale && n > 1)
            c = (uint32_t)towlower_l(towupper_l((wint_t)c, fold_locale), fold_locale);
        if (n == 1)
            o[out++] = (char)b;
        else
            out += utf8_put(c, o + out);
        i += n;
    }
    o[out] = 0;
    return (long)out;
}

int sl_pat_casefold(const char *s, size_t len, char **out, size_t *outlen)
{
    char *buf = NULL;
    size_t cap = 0;
    long n = sl_pat_fold_into(s, len, &buf, &cap);
    if (n < 0) {
        free(buf);
        return SL_ENOMEM;
    }
    *out = buf;
    *outlen = (size_t)n;
    return SL_OK;
}

static bool lit_eq(const struct sl_pat_lit *l, const struct sl_pat_field *f)
{
    if (l->type != f->type)
        return false;
    if (f->type == SL_PAT_STRING)
        return l->len == f->str_len && memcmp(l->s, f->str, l->len) == 0;
    if (f->type == SL_PAT_NUMBER) {
        char k[8];
        sl_pat_num_key(f->num, k);
        return memcmp(l->s, k, 8) == 0;
    }
    return true;
}

static bool in_range(const struct sl_pat_m *m, double x)
{
    if (x < m->lo || (x == m->lo && !m->lo_incl))
        return false;
    if (x > m->hi || (x == m->hi && !m->hi_incl))
        return false;
    return true;
}

bool sl_pat_m_accepts(const struct sl_pat_m *m, const struct sl_pat_field *f, const char *folded,
                      size_t folded_len)
{
    bool str = f->type == SL_PAT_STRING;
    switch (m->op) {
    case OP_EXACT:
        return lit_eq(&m->lit, f);
    case OP_PREFIX:
        return str && f->str_len >= m->len && memcmp(f->str, m->s, m->len) == 0;
    case OP_SUFFIX:
        return str && f->str_len >= m->len &&
               memcmp(f->str + f->str_len - m->len, m->s, m->len) == 0;
    case OP_PREFIX_IC:
        return str && folded_len >= m->len && memcmp(folded, m->s, m->len) == 0;
    case OP_SUFFIX_IC:
        return str && folded_len >= m->len &&
               memcmp(folded + folded_len - m->len, m->s, m->len) == 0;
    case OP_EIC:
        return str && folded_len == m->len && memcmp(folded, m->s, m->len) == 0;
    case OP_WILDCARD:
        return str && sl_pat_glob_match(&m->glob, f->str, f->str_len);
    case OP_NUMERIC:
        return f->type == SL_PAT_NUMBER && in_range(m, f->num);
    case OP_CIDR: {
        char k[129];
        size_t n = str ? sl_pat_ip_key(f->str, f->str_len, k) : 0;
        return n >= m->len && memcmp(k, m->s, m->len) == 0;
    }
    case OP_EXISTS:
        return true;
    case OP_AB_VALUES:
        for (uint32_t i = 0; i < m->nlits; i++)
            if (lit_eq(&m->lits[i], f))
                return false;
        return true;
    case OP_AB_PREFIX:
        return str && !(f->str_len >= m->len && memcmp(f->str, m->s, m->len) == 0);
    case OP_AB_SUFFIX:
        return str && !(f->str_len >= m->len &&
                        memcmp(f->str + f->str_len - m->len, m->s, m->len) == 0);
    case OP_AB_EIC:
        if (!str)
            return false;
        for (uint32_t i = 0; i < m->nlits; i++)
            if (m->lits[i].len == folded_len && memcmp(m->lits[i].s, folded, folded_len) == 0)
                return false;
        return true;
    case OP_AB_WILDCARD:
        return str && !sl_pat_glob_match(&m->glob, f->str, f->str_len);
    }
    return false;
}
