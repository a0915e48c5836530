/* crypto_identity_store.c — see crypto_identity_store.h. */
#include "crypto_identity_store.h"

#include "bytes_encode.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_LINE_CAP 200u

static const char *const ed_names[3] = { "identity", "signing", "link-auth" };
static const char *const cn_names[3] = { "id-cn", "link-cn", "auth-cn" };

static bool path_in(char *out, size_t cap, const char *dir, const char *file)
{
    return snprintf(out, cap, "%s/%s", dir, file) < (int)cap;
}

/* Writes text to dir/file with mode (applied even if the file existed). */
static int write_text(const char *dir, const char *file, const char *text, mode_t mode, char *err,
                      size_t errlen)
{
    char path[512];
    if (!path_in(path, sizeof path, dir, file)) {
        snprintf(err, errlen, "path too long: %s/%s", dir, file);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    bool ok = fd >= 0 && fchmod(fd, mode) == 0;
    size_t len = strlen(text), off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok)
            off += (size_t)w;
    }
    int e = errno;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
    return ok ? 0 : -1;
}

int identity_fingerprints(const relay_identity_t *id, char rsa_hex[41], char ed_b64[44])
{
    gnutls_pubkey_t pub;
    uint8_t sha1[HS_SHA1_LEN], sha256[HS_SHA256_LEN];
    if (rsa_pubkey_from_privkey(id->rsa_id, &pub) != 0)
        return -1;
    int rc = rsa_pubkey_digests(pub, sha1, sha256);
    gnutls_pubkey_deinit(pub);
    if (rc != 0)
        return -1;
    hex_encode_upper(sha1, sizeof sha1, rsa_hex);
    base64_encode_nopad(id->ed_id.pub, HS_ED25519_KEY_LEN, ed_b64);
    return 0;
}

int identity_save(const relay_identity_t *id, const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    static const char *const rsa_files[3] = { "rsa-identity.pem", "rsa-link.pem", "rsa-auth.pem" };
    gnutls_privkey_t rsa[3] = { id->rsa_id, id->rsa_link, id->rsa_auth };
    for (int i = 0; i < 3; i++) {
        char path[512];
        if (!path_in(path, sizeof path, dir, rsa_files[i]) ||
            rsa_privkey_write_pem_file(rsa[i], path) != 0) {
            snprintf(err, errlen, "cannot write %s/%s", dir, rsa_files[i]);
            return -1;
        }
    }
    const ed25519_key_t *ed[3] = { &id->ed_id, &id->ed_signing, &id->ed_link_auth };
    char text[3 * STORE_LINE_CAP];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        char hex[2 * HS_ED25519_KEY_LEN + 1];
        hex_encode_upper(ed[i]->seed, HS_ED25519_KEY_LEN, hex);
        n += (size_t)snprintf(text + n, sizeof text - n, "%s %s\n", ed_names[i], hex);
        gnutls_memset(hex, 0, sizeof hex);
    }
    int rc = write_text(dir, "ed25519.keys", text, 0600, err, errlen);
    gnutls_memset(text, 0, sizeof text);
    if (rc != 0)
        return -1;
    const char *cns[3] = { id->id_cn, id->link_cn, id->auth_cn };
    n = 0;
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s %s\n", cn_names[i], cns[i]);
    if (write_text(dir, "names", text, 0644, err, errlen) != 0)
        return -1;
    char fp[41], b64[44];
    if (identity_fingerprints(id, fp, b64) != 0) {
        snprintf(err, errlen, "cannot compute the fingerprints");
        return -1;
    }
    snprintf(text, sizeof text, "rsa-sha1 %s\ned25519 %s\n", fp, b64);
    return write_text(dir, "fingerprints", text, 0644, err, errlen);
}

/* Reads "KEY VALUE" lines of dir/file; for each of the three keys in names, copies VALUE into
 * vals[i] (cap bytes).  Every key must appear exactly once and nothing else may. */
static int read_pairs(const char *dir, const char *file, const char *const names[3],
                      char vals[3][STORE_LINE_CAP], char *err, size_t errlen)
{
    char path[512];
    if (!path_in(path, sizeof path, dir, file)) {
        snprintf(err, errlen, "path too long: %s/%s", dir, file);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    bool seen[3] = { false, false, false };
    char line[STORE_LINE_CAP];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line longer than %u bytes", path, lineno,
                     STORE_LINE_CAP);
            rc = -1;
            break;
        }
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = 0;
        if (!len || line[0] == '#')
            continue;
        char *sp = strchr(line, ' ');
        int k = -1;
        for (int i = 0; sp && i < 3; i++)
            if ((size_t)(sp - line) == strlen(names[i]) && !memcmp(line, names[i], strlen(names[i])))
                k = i;
        if (k < 0 || seen[k]) {
            snprintf(err, errlen, "%s:%d: expected one each of '%s', '%s', '%s' followed by a "
                     "value", path, lineno, names[0], names[1], names[2]);
            rc = -1;
            break;
        }
        seen[k] = true;
        snprintf(vals[k], STORE_LINE_CAP, "%s", sp + 1);
    }
    gnutls_memset(line, 0, sizeof line);
    fclose(f);
    for (int i = 0; rc == 0 && i < 3; i++)
        if (!seen[i]) {
            snprintf(err, errlen, "%s: no '%s' line", path, names[i]);
            rc = -1;
        }
    return rc;
}

static int hex_seed(const char *s, uint8_t out[HS_ED25519_KEY_LEN])
{
    if (strlen(s) != 2 * HS_ED25519_KEY_LEN)
        return -1;
    for (size_t i = 0; i < HS_ED25519_KEY_LEN; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
            sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static bool plausible_cn(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < IDENTITY_CN_CAP && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

int identity_load(relay_identity_t *id, const char *dir, char *err, size_t errlen)
{
    memset(id, 0, sizeof *id);
    static const char *const rsa_files[3] = { "rsa-identity.pem", "rsa-link.pem", "rsa-auth.pem" };
    gnutls_privkey_t *rsa[3] = { &id->rsa_id, &id->rsa_link, &id->rsa_auth };
    for (int i = 0; i < 3; i++) {
        char path[512];
        if (!path_in(path, sizeof path, dir, rsa_files[i]) ||
            rsa_privkey_read_pem_file(path, rsa[i]) != 0) {
            snprintf(err, errlen, "cannot load the RSA key %s/%s (missing, unreadable or not an "
                     "RSA private key in PEM)", dir, rsa_files[i]);
            goto fail;
        }
    }
    char vals[3][STORE_LINE_CAP];
    if (read_pairs(dir, "ed25519.keys", ed_names, vals, err, errlen) != 0)
        goto fail;
    ed25519_key_t *ed[3] = { &id->ed_id, &id->ed_signing, &id->ed_link_auth };
    for (int i = 0; i < 3; i++) {
        uint8_t seed[HS_ED25519_KEY_LEN];
        int bad = hex_seed(vals[i], seed) != 0 || ed25519_key_from_seed(ed[i], seed) != 0;
        gnutls_memset(seed, 0, sizeof seed);
        if (bad) {
            snprintf(err, errlen, "%s/ed25519.keys: '%s' is not a 64-hex-digit Ed25519 seed", dir,
                     ed_names[i]);
            gnutls_memset(vals, 0, sizeof vals);
            goto fail;
        }
    }
    gnutls_memset(vals, 0, sizeof vals);
    if (read_pairs(dir, "names", cn_names, vals, err, errlen) != 0)
        goto fail;
    char *cns[3] = { id->id_cn, id->link_cn, id->auth_cn };
    for (int i = 0; i < 3; i++) {
        if (!plausible_cn(vals[i])) {
            snprintf(err, errlen, "%s/names: '%s' is not a host name (lowercase, digits, '.', "
                     "'-'; under %u characters)", dir, cn_names[i], IDENTITY_CN_CAP);
            goto fail;
        }
        snprintf(cns[i], IDENTITY_CN_CAP, "%s", vals[i]);
    }
    return 0;
fail:
    identity_free(id);
    return -1;
}
