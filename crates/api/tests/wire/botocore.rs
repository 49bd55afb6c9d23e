//! Runs `botocore_check.py`: botocore's serializer and parser as the reference for the wire.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wire/botocore_check.py")
}

/// Runs `botocore_check.py MODE` with `input` as JSON on stdin and returns its JSON answer.
pub fn run(mode: &str, input: &Value) -> Value {
    let output = python(mode, &serde_json::to_vec(input).unwrap());
    serde_json::from_slice(&output).unwrap_or_else(|e| panic!("botocore_check.py {mode}: {e}"))
}

/// The installed botocore's version.
pub fn version() -> String {
    String::from_utf8(python("version", b""))
        .unwrap()
        .trim()
        .to_owned()
}

fn python(mode: &str, stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new("python3")
        .arg(script())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("these tests need python3 with botocore (pip install botocore): {e}")
        });
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "botocore_check.py {mode} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
