/* Random (version 4) UUIDs, as AWS writes message and request ids. Never
 * inside apply: ids are decided before a command is proposed. */
#ifndef SL_UUID_H
#define SL_UUID_H

/* Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL into out. */
void sl_uuid4(char out[37]);

#endif
