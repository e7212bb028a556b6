//! The inventory loader on any file content: a document is loaded or refused with an error
//! (never a panic), and a loaded inventory's tables all have their declared columns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpcflow::inventory::Inventory;

fuzz_target!(|data: &[u8]| {
    let root = std::env::temp_dir().join(format!("vpcflow-fuzz-inv-{}", std::process::id()));
    // A region folder, as users save one account and region per folder.
    let dir = root.join("111122223333").join("eu-west-1");
    if std::fs::create_dir_all(&dir).is_err() || std::fs::write(dir.join("doc.json"), data).is_err()
    {
        return;
    }
    if let Ok(inventory) = Inventory::load(&root, Some("us-east-1")) {
        for (name, batch) in inventory.tables() {
            assert_eq!(
                batch.schema().fields().len(),
                batch.num_columns(),
                "table {name}"
            );
        }
        assert_eq!(inventory.files().len(), 1);
    }
});
