//! The four patch types of the API: JSON patch (RFC 6902), merge patch (RFC 7386), strategic
//! merge patch (lists of containers, env, ports and volumes merged by their keys, as the
//! `patchMergeKey` tags of the built-in types say) and apply patch (server-side apply, merged
//! strategically into the live object).

use serde_json::{Map, Value};

/// How a PATCH body is to be read, from its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// Applies `patch` of `kind` to `target`; the message names the operation that failed.
pub fn apply_patch(target: &mut Value, patch: &Value, kind: PatchType) -> Result<(), String> {
    match kind {
        PatchType::Json => json_patch(target, patch),
        PatchType::Merge => {
            crate::merge_patch(target, patch);
            Ok(())
        }
        PatchType::Strategic | PatchType::Apply => {
            strategic_merge(target, patch);
            Ok(())
        }
    }
}

/// RFC 6902: add, remove, replace, move, copy, test.
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch
        .as_array()
        .ok_or("a JSON patch is a list of operations")?;
    for (i, op) in ops.iter().enumerate() {
        let name = op["op"].as_str().unwrap_or_default();
        let path = op["path"]
            .as_str()
            .ok_or(format!("operation {i}: no path"))?;
        let fail = |why: &str| format!("the JSON patch's operation {i} ({name} {path}) {why}");
        match name {
            "add" => add(target, path, op["value"].clone()).map_err(|e| fail(&e))?,
            "remove" => {
                remove(target, path).map_err(|e| fail(&e))?;
            }
            "replace" => {
                remove(target, path).map_err(|e| fail(&e))?;
                add(target, path, op["value"].clone()).map_err(|e| fail(&e))?;
            }
            "move" | "copy" => {
                let from = op["from"].as_str().ok_or_else(|| fail("has no from"))?;
                let value = if name == "move" {
                    remove(target, from).map_err(|e| fail(&e))?
                } else {
                    target
                        .pointer(from)
                        .cloned()
                        .ok_or_else(|| fail("copies from a path that does not exist"))?
                };
                add(target, path, value).map_err(|e| fail(&e))?;
            }
            "test" => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err(fail("failed: the value differs"));
                }
            }
            other => return Err(format!("operation {i}: unknown op \"{other}\"")),
        }
    }
    Ok(())
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_parent(path: &str) -> Result<(&str, String), String> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| "has a path that does not start with /".to_string())?;
    Ok((parent, unescape(last)))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = split_parent(path)?;
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            if last == "-" {
                items.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| "has a bad list index".to_string())?;
            if i > items.len() {
                return Err("has a list index past the end".into());
            }
            items.insert(i, value);
            Ok(())
        }
        _ => Err("names a parent that does not exist".into()),
    }
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split_parent(path)?;
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => map
            .remove(&last)
            .ok_or_else(|| "names a field that does not exist".into()),
        Some(Value::Array(items)) => {
            let i: usize = last
                .parse()
                .map_err(|_| "has a bad list index".to_string())?;
            if i >= items.len() {
                return Err("has a list index past the end".into());
            }
            Ok(items.remove(i))
        }
        _ => Err("names a parent that does not exist".into()),
    }
}

/// The key a list field's items are merged by, as the built-in types declare it
/// (`patchMergeKey`); lists without one are replaced.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" | "volumeDevices" => Some("mountPath"),
        "conditions" => Some("type"),
        "hostAliases" => Some("ip"),
        "ports" => {
            if items.iter().any(|i| i.get("containerPort").is_some()) {
                Some("containerPort")
            } else {
                Some("port")
            }
        }
        _ => None,
    }
}

/// Lists of plain values merged as sets.
fn merges_as_set(field: &str) -> bool {
    matches!(field, "finalizers")
}

/// Strategic merge: objects merged field by field (null deletes), lists with a merge key
/// merged item by item (`$patch: delete` removes one), `$patch: replace` replaces, and the
/// ordering directives kubectl sends (`$setElementOrder/…`, `$retainKeys`) accepted.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("made an object");
    for (field, value) in patch {
        if let Some(list) = field.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Some(drop)) = (map.get_mut(list), value.as_array()) {
                items.retain(|i| !drop.contains(i));
            }
            continue;
        }
        if field.starts_with('$') {
            continue;
        }
        match value {
            Value::Null => {
                map.remove(field);
            }
            Value::Array(items) => {
                let current = map.get_mut(field);
                match (current, merge_key(field, items)) {
                    (Some(Value::Array(live)), Some(key)) => merge_list(live, items, key),
                    (Some(Value::Array(live)), None) if merges_as_set(field) => {
                        for i in items {
                            if !live.contains(i) {
                                live.push(i.clone());
                            }
                        }
                    }
                    _ => {
                        let cleaned: Vec<Value> = items
                            .iter()
                            .filter(|i| i.get("$patch").is_none())
                            .cloned()
                            .collect();
                        map.insert(field.clone(), Value::Array(cleaned));
                    }
                }
            }
            Value::Object(_) => {
                let slot = map.entry(field.clone()).or_insert(Value::Null);
                strategic_merge(slot, value);
            }
            other => {
                map.insert(field.clone(), other.clone());
            }
        }
    }
}

fn merge_list(live: &mut Vec<Value>, patch: &[Value], key: &str) {
    for item in patch {
        let id = item.get(key);
        let found = id.and_then(|id| live.iter().position(|l| l.get(key) == Some(id)));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = found {
                live.remove(i);
            }
            continue;
        }
        match found {
            Some(i) => strategic_merge(&mut live[i], item),
            None => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item);
                live.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_set_image_changes_one_container_and_keeps_the_other() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "web:1", "ports": [{"containerPort": 80}]},
            {"name": "proxy", "image": "envoy:1"}
        ]}}}});
        // What `kubectl set image deployment/web web=web:2` sends.
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "proxy"}],
            "containers": [{"image": "web:2", "name": "web"}]
        }}}});
        strategic_merge(&mut d, &patch);
        let containers = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "web:2");
        assert_eq!(containers[0]["ports"][0]["containerPort"], 80);
        assert_eq!(containers[1]["image"], "envoy:1");
    }

    #[test]
    fn a_strategic_delete_directive_removes_one_item_and_null_removes_a_field() {
        let mut d =
            json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "x": 1});
        strategic_merge(
            &mut d,
            &json!({"env": [{"name": "A", "$patch": "delete"}], "x": null}),
        );
        assert_eq!(d, json!({"env": [{"name": "B", "value": "2"}]}));
    }

    #[test]
    fn json_patch_as_kubectl_rollout_undo_sends_it() {
        let mut d =
            json!({"metadata": {"annotations": {"a": "1"}}, "spec": {"template": {"x": 1}}});
        let patch = json!([
            {"op": "replace", "path": "/spec/template", "value": {"x": 2}},
            {"op": "replace", "path": "/metadata/annotations", "value": {"b": "2"}}
        ]);
        json_patch(&mut d, &patch).unwrap();
        assert_eq!(d["spec"]["template"]["x"], 2);
        assert_eq!(d["metadata"]["annotations"], json!({"b": "2"}));
        let err = json_patch(&mut d, &json!([{"op": "remove", "path": "/spec/nope"}])).unwrap_err();
        assert!(err.contains("remove /spec/nope"), "{err}");
        json_patch(&mut d, &json!([{"op": "add", "path": "/spec/list", "value": []}, {"op": "add", "path": "/spec/list/-", "value": 1}])).unwrap();
        assert_eq!(d["spec"]["list"], json!([1]));
    }
}
