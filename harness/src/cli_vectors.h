/* cli_vectors.h — `hsprobe vectors`: write the test vectors, or check a directory of them. */
#ifndef CLI_VECTORS_H
#define CLI_VECTORS_H

int cli_vectors(int argc, char **argv);
void cli_vectors_help(void);

#endif
