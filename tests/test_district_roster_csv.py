"""The documents page's roster CSV: every bad row reported by line, and no card UID in the words."""

from __future__ import annotations

from district import roster_csv


def test_every_bad_row_is_reported_and_no_card_uid_is_shown():
    text = ("\ufeffmember_id,card_uid,name,role,grid,balance\n"
            "M1,0A1B2C3D4E,王秀英,member,g1,10\n"
            "M2,0A1B2C3D4E,李四,member,g1,\n"          # the card of M1
            "M3,XYZ-secret-9876,赵六,member,g1,\n"      # not hex
            "M1,1234ABCD56,重复,member,g1,\n"           # M1 twice
            "M4,,钱七,member,g1,lots\n")                # not a number
    members, problems = roster_csv.parse(text)
    assert [m["member_id"] for m in members] == ["M1"]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    words = " ".join(problems)
    assert "appears twice" in problems[0] and "hex digits" in problems[1] and "'lots'" in problems[3]
    for uid in ("0A1B2C3D4E", "XYZ-secret-9876"):
        assert uid not in words
    assert "…3D4E" in problems[0] and "…9876" in problems[1]
