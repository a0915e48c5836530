/* cli_handshake.h — `hsprobe handshake`: one initiator handshake, printed for a person or
 * as JSON. */
#ifndef CLI_HANDSHAKE_H
#define CLI_HANDSHAKE_H

int cli_handshake(int argc, char **argv);
void cli_handshake_help(void);

#endif
