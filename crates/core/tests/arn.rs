//! `model::iam_arn`, which names IAM entities by kind as text, spells what `Arn` builds.

use warden_core::arn::{Arn, EntityKind};
use warden_core::model::iam_arn;

#[test]
fn iam_arn_spells_what_arn_builds() {
    assert_eq!(
        iam_arn("123456789012", "instance-profile", "/a/", "p"),
        Arn::entity("123456789012", EntityKind::InstanceProfile, "/a/", "p").build()
    );
}
