/* wire_tlsflight.h — what a server sent back, record by record: handshake messages reassembled
 * across records, the ServerHello parsed, alerts, and a one-line summary a verdict can quote
 * ("ServerHello TLS1.2 suite 0xc02f RI yes, Certificate, ServerHelloDone" or
 * "alert fatal 40 handshake_failure").
 *
 * Only the unencrypted start of a handshake is readable, which is all a downgrade probe needs:
 * after a ChangeCipherSpec (or a TLS 1.3 ServerHello) handshake records are counted, not
 * parsed.  The state is one fixed-size struct: no allocation, every list capped. */
#ifndef WIRE_TLSFLIGHT_H
#define WIRE_TLSFLIGHT_H

#include "wire_tlsrec.h"

/* Handshake bytes kept for reassembly.  A certificate chain larger than this is not a
 * protocol error, so it is skipped (its length still counted), never refused. */
#define TLSFLIGHT_CAP_HS 65536u
#define TLSFLIGHT_CAP_EVENTS 32u

typedef enum tls_event_kind {
    TEV_HANDSHAKE, /* one complete handshake message */
    TEV_ALERT,
    TEV_CCS,
    TEV_APPDATA,   /* application data record (or handshake after encryption began) */
    TEV_OTHER,     /* a record of another content type */
    TEV_SSLV2,     /* an SSLv2-format record from the server */
} tls_event_kind_t;

typedef struct tls_event {
    tls_event_kind_t kind;
    uint8_t hs_type;   /* TEV_HANDSHAKE; TEV_SSLV2: its message type; TEV_OTHER: content type */
    uint32_t len;      /* message / fragment length */
    uint8_t level, desc; /* TEV_ALERT */
} tls_event_t;

typedef struct tls_flight {
    size_t n_records;
    uint16_t first_record_version; /* of the first TLS record, 0 before */
    size_t n_events;
    bool events_overflow;
    tls_event_t ev[TLSFLIGHT_CAP_EVENTS];
    bool have_sh;
    wire_status_t sh_status; /* how the ServerHello parsed (have_sh) */
    tls_server_hello_t sh;
    bool have_done;     /* ServerHelloDone: the server's TLS 1.2 flight is complete */
    bool have_alert;
    uint8_t alert_level, alert_desc; /* the first alert */
    bool encrypted;     /* CCS seen, or a TLS 1.3 ServerHello: handshake bytes are opaque */
    bool bad;           /* the peer sent something that is not a well-formed record stream */
    char bad_why[96];
    /* reassembly */
    size_t hs_len;
    uint32_t skip; /* bytes of an oversized message still to skip */
    uint8_t hs[TLSFLIGHT_CAP_HS];
} tls_flight_t;

void tlsflight_init(tls_flight_t *f);
/* Takes one framed record (tlsrec_frame).  Never fails: malformed content is noted in the
 * flight (bad, bad_why, sh_status) as evidence about the server. */
void tlsflight_add(tls_flight_t *f, const tlsrec_t *rec);
/* One line, e.g. "ServerHello TLS1.2 suite 0xc02f RI yes DOWNGRD(1.2), Certificate,
 * ServerHelloDone"; "nothing" for an empty flight.  Always NUL-terminated. */
void tlsflight_summary(const tls_flight_t *f, char *buf, size_t cap);

#endif
