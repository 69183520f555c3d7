/* sharded.c — Hugging Face sharded checkpoints (model.safetensors.index.json).
 * Every shard named in weight_map is opened once; every tensor the index
 * names must exist in the shard it points to. Shard names may not contain
 * '/' (no escaping the directory). */
#include "datasets/reader.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

wz_err wz_sharded_open(wz_model *m, const char *dir);

wz_err wz_sharded_open(wz_model *m, const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    json_error_t je;
    json_t *root = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
    if (!root) return wz_fail(WZ_ERR_FORMAT, "%s: invalid JSON at line %d: %s", p, je.line, je.text);
    json_t *wm = json_object_get(root, "weight_map");
    wz_err err = WZ_OK;
    if (!json_is_object(wm)) err = wz_fail(WZ_ERR_FORMAT, "%s: no weight_map object", p);
    /* Open shards in first-seen order. */
    json_t *opened = json_object();
    const char *key; json_t *val;
    if (!err) json_object_foreach(wm, key, val) {
        if (!json_is_string(val)) { err = wz_fail(WZ_ERR_FORMAT, "%s: weight_map['%s'] is not a string", p, key); break; }
        const char *shard = json_string_value(val);
        if (strchr(shard, '/') || strcmp(shard, "..") == 0 || !*shard) { err = wz_fail(WZ_ERR_FORMAT, "%s: bad shard name '%s'", p, shard); break; }
        if (json_object_get(opened, shard)) continue;
        char sp[4096]; int fi;
        snprintf(sp, sizeof sp, "%s/%s", dir, shard);
        err = wz_model_add_file(m, sp, &fi);
        if (!err) { err = wz_safetensors_parse(m, fi); if (err) wz_err_prefix("%s", sp); }
        if (err) break;
        json_object_set_new(opened, shard, json_integer(fi));
    }
    if (!err) json_object_foreach(wm, key, val) {
        const wz_tensor *t = wz_model_find(m, key);
        int want = (int)json_integer_value(json_object_get(opened, json_string_value(val)));
        if (!t || t->file_index != want) { err = wz_fail(WZ_ERR_FORMAT, "%s: tensor '%s' not found in shard '%s'", p, key, json_string_value(val)); break; }
    }
    json_decref(opened);
    json_decref(root);
    return err;
}
