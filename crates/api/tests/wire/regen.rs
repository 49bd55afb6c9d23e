//! The embedded API models are what `tools/gen-api-model` makes of the installed botocore.

use std::path::Path;
use std::process::Command;

use warden_api::model::Model;

use super::botocore;

#[test]
fn embedded_models_match_a_regeneration() {
    let recorded = Model::iam().botocore_version();
    assert_eq!(recorded, Model::sts().botocore_version());
    let installed = botocore::version();
    if installed != recorded {
        // Another botocore may carry a newer API; updating to it is a change to review, not a
        // test failure. `tools/gen-api-model --check` reports the difference.
        eprintln!(
            "skipped: the models come from botocore {recorded}, botocore {installed} is installed"
        );
        return;
    }
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gen-api-model");
    let output = Command::new("python3")
        .arg(tool)
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "crates/api/model/*.json differ from a regeneration:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
