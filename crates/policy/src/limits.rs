//! AWS's size limits for policy documents. Sizes count characters, whitespace excluded.

/// A customer managed policy (and so a permissions boundary).
pub const MANAGED_POLICY: usize = 6_144;
/// A role's trust policy (AWS's default quota; adjustable to 4,096 there).
pub const TRUST_POLICY: usize = 2_048;
/// Inline session policy plus the plain text of managed session policies.
pub const SESSION_POLICY: usize = 2_048;
/// The sum of a user's inline policies.
pub const USER_INLINE_POLICIES: usize = 2_048;
/// The sum of a group's inline policies.
pub const GROUP_INLINE_POLICIES: usize = 5_120;
/// The sum of a role's inline policies.
pub const ROLE_INLINE_POLICIES: usize = 10_240;
/// A resource-based policy (AWS services vary; S3's bucket policy limit is 20 KiB).
pub const RESOURCE_POLICY: usize = 20_480;
/// A service or resource control policy.
pub const ORGANIZATION_POLICY: usize = 5_120;

/// The size of a policy document as AWS counts it against these limits.
pub fn size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    #[test]
    fn whitespace_does_not_count() {
        assert_eq!(super::size("{ \"a\" :\n\t\"b c\" }"), 10);
        assert_eq!(super::size("é"), 1);
    }
}
