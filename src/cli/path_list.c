/* Growable, NULL-terminated lists of owned paths (see path_list.h). */
#include "path_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *path_list_add(path_list *l, const char *path) {
    if (l->num + 1 >= l->capacity) { /* + 1: the terminating NULL */
        int capacity = l->capacity ? 2 * l->capacity : 64;
        char **grown = realloc(l->paths, sizeof *grown * capacity);
        if (!grown) return NULL;
        l->paths = grown, l->capacity = capacity;
    }
    char *copy = strdup(path);
    if (!copy) return NULL;
    l->paths[l->num++] = copy;
    l->paths[l->num] = NULL;
    return copy;
}

int path_list_read(path_list *l, const char *file) {
    FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!f) return -1;
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t len;
    int rc = 0;
    errno = 0;
    while ((len = getline(&line, &line_capacity, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len > 0 && !path_list_add(l, line)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) rc = -1;
    int saved = errno;
    free(line);
    if (f != stdin) fclose(f);
    errno = saved;
    return rc;
}

void path_list_free(path_list *l) {
    for (int i = 0; i < l->num; i++) free(l->paths[i]);
    free(l->paths);
    l->paths = NULL;
    l->num = l->capacity = 0;
}
