/* files.h — writing a file whole: a unique temporary beside it, and a durable rename.
 *
 * For: every writer of an output (safetensors.c in the runtime, interp/outputs.c for the
 * rest), so that two writers of one path never share a temporary and a power cut after a
 * rename keeps the new file. Not for: what a file holds, or where outputs may go
 * (interp/outputs.c).
 */
#ifndef DESCENT_FILES_H
#define DESCENT_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* Creates a unique temporary beside path (".NAME.XXXXXX" in its folder) into tmp (room
 * for strlen(path) + 16), with the permissions a new file would get and closed on exec;
 * the open descriptor, or -1 with errno set. */
int file_temporary(const char *path, char *tmp, size_t size);

/* The permissions a new file gets: 0666 less the umask (as fopen gives). */
mode_t file_new_mode(void);

/* Makes a rename into path's folder durable (fsync of the folder); a folder that cannot
 * be synced is left as it is. */
void file_sync_folder(const char *path);

#endif
