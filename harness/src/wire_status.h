/* wire_status.h — why a wire parser refused its input.
 *
 * Parsers face hostile peers: their failure is evidence about the *target*, so the reason is
 * an enum a verdict can cite, never a harness error. */
#ifndef WIRE_STATUS_H
#define WIRE_STATUS_H

typedef enum wire_status {
    WIRE_OK = 0,
    WIRE_TRUNCATED,   /* input ended before the structure did */
    WIRE_TRAILING,    /* bytes left over where the format requires exact consumption */
    WIRE_BAD_VALUE,   /* a field holds a value the format forbids */
    WIRE_TOO_MANY,    /* more elements than the engine's named cap keeps */
} wire_status_t;

const char *wire_status_str(wire_status_t st);

#endif
