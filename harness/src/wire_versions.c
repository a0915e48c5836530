/* wire_versions.c — see wire_versions.h. */
#include "wire_versions.h"

wire_status_t versions_parse(span_t body, versions_cell_t *out)
{
    out->n = 0;
    if (body.len % 2)
        return WIRE_TRAILING;
    while (!span_is_empty(&body)) {
        if (out->n == HS_CAP_VERSIONS)
            return WIRE_TOO_MANY;
        if (!span_get_u16(&body, &out->v[out->n]))
            return WIRE_TRUNCATED;
        out->n++;
    }
    return WIRE_OK;
}

void versions_build(bld_t *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bld_u16(b, v[i]);
}

uint16_t versions_pick(const uint16_t *mine, size_t n_mine, const versions_cell_t *theirs)
{
    uint16_t best = 0;
    for (size_t i = 0; i < n_mine; i++)
        for (size_t j = 0; j < theirs->n; j++)
            if (mine[i] == theirs->v[j] && mine[i] > best)
                best = mine[i];
    return best;
}
