"""Password rules for staff accounts: long enough, not the username, not a common password."""

MIN_LENGTH = 10
MAX_LENGTH = 128

# The most common passwords (and the shapes Chinese users favour) of length ≥ 10,
# compared case-insensitively; shorter ones fail the length rule anyway.
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "9876543210",
        "1111111111",
        "0000000000",
        "1234512345",
        "123456789a",
        "a123456789",
        "123456789q",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "1qaz@wsx3edc",
        "zaq12wsxcde3",
        "asdfghjkl;",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "p@ssw0rd123",
        "iloveyou123",
        "woaini1314",
        "woaini520520",
        "5201314520",
        "aa123456789",
        "abc1234567",
        "abcd123456",
        "abcd1234567",
        "admin12345",
        "admin123456",
        "administrator",
        "abcdefghij",
        "huyi123456",
        "zhengwu123",
        "haochaping",
        "haochaping123",
        "changeme123",
        "welcome123",
        "letmein123",
        "11223344556",
        "147258369a",
        "1472583690",
        "qq123456789",
    }
)


def password_problem(password: str, username: str = "") -> str | None:
    """None when the password may be used, else what is wrong with it (Chinese)."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if len(password) > MAX_LENGTH:
        return f"密码不能超过 {MAX_LENGTH} 位"
    lowered = password.lower()
    if username and username.lower() in lowered:
        return "密码不能包含用户名"
    if lowered in COMMON or len(set(password)) <= 2:
        return "密码过于常见，请换一个不易猜到的密码"
    return None
