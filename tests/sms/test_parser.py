"""What citizens really send, and what the bot must understand from it.

Expected outcome: "5" a rating, "2|排队两小时" a rating with a comment,
"TD" an opt-out, "?" unclear (the bot asks back once), "A5" a choice letter
with a rating, "A" a choice letter alone.
"""

import pytest

from sms.parser import parse_reply

CASES = [
    # plain digits, full-width, circled, with units
    ("5", "5"),
    ("4", "4"),
    ("3", "3"),
    ("2", "2"),
    ("1", "1"),
    ("５", "5"),
    ("１", "1"),
    ("③", "3"),
    ("5分", "5"),
    ("4分", "4"),
    ("1分", "1"),
    ("５分", "5"),
    ("5星", "5"),
    ("5颗星", "5"),
    ("3星级", "3"),
    ("5.0", "5"),
    ("5。", "5"),
    ("5!", "5"),
    ("5！！！", "5"),
    ("  5  ", "5"),
    ("【5】", "5"),
    ("“5”", "5"),
    ("(4)", "4"),
    ("5~", "5"),
    ("4.", "4"),
    ("5 ", "5"),
    ("\n3\n", "3"),
    # Chinese numerals
    ("五", "5"),
    ("四", "4"),
    ("三", "3"),
    ("二", "2"),
    ("一", "1"),
    ("伍", "5"),
    ("五星", "5"),
    ("五分", "5"),
    ("一星", "1"),
    ("三颗星", "3"),
    ("两星", "2"),
    ("五星好评", "5"),
    ("五星好評", "5"),
    ("五分好评", "5"),
    ("一星差评", "1"),
    # level names, as printed in the invitation
    ("非常满意", "5"),
    ("满意", "4"),
    ("基本满意", "3"),
    ("不满意", "2"),
    ("非常不满意", "1"),
    ("非常满意！", "5"),
    ("满意。", "4"),
    ("很满意", "5"),
    ("十分满意", "5"),
    ("特别满意", "5"),
    ("比较满意", "4"),
    ("挺满意的", "4"),
    ("还算满意", "4"),
    ("不太满意", "2"),
    ("不是很满意", "2"),
    ("很不满意", "1"),
    ("极不满意", "1"),
    # everyday verdicts
    ("好评", "5"),
    ("差评", "1"),
    ("中评", "3"),
    ("一般", "3"),
    ("一般般", "3"),
    ("还行", "3"),
    ("还可以", "3"),
    ("凑合", "3"),
    ("差不多", "3"),
    ("不错", "4"),
    ("挺好", "4"),
    ("很好", "5"),
    ("非常好", "5"),
    ("好", "4"),
    ("差", "2"),
    ("很差", "1"),
    ("太差了", "1"),
    ("不好", "2"),
    ("不行", "2"),
    ("满分", "5"),
    ("赞", "5"),
    ("点赞", "5"),
    ("垃圾", "1"),
    ("好好好", "4"),
    ("差差差", "2"),
    ("很一般", "3"),
    ("不太行", "2"),
    ("非常非常满意", "5"),
    ("很好很好", "5"),
    ("一般吧", "3"),
    ("还行吧", "3"),
    ("不是很好", "2"),
    # traditional characters
    ("非常滿意", "5"),
    ("滿意", "4"),
    ("不滿意", "2"),
    ("差評", "1"),
    ("好評", "5"),
    ("非常不滿意", "1"),
    # emoji and stars
    ("👍", "5"),
    ("👍👍👍", "5"),
    ("👎", "1"),
    ("⭐⭐⭐⭐⭐", "5"),
    ("★★★", "3"),
    ("★", "1"),
    ("5👍", "5"),
    ("😊5", "5"),
    ("满意😊", "4"),
    ("非常满意🌹🌹", "5"),
    ("好评👍", "5"),
    ("5分💯", "5"),
    ("5️⃣", "5"),
    ("👍🏻", "5"),
    ("🙏", "?"),
    ("😡", "?"),
    # digit and words that agree: the words only repeat it
    ("5 非常满意", "5"),
    ("5非常满意", "5"),
    ("4满意", "4"),
    ("3 基本满意", "3"),
    ("2不满意", "2"),
    ("1 非常不满意", "1"),
    ("5好评", "5"),
    ("5，满意", "5"),
    # digit followed by a comment
    ("2 排队两小时", "2|排队两小时"),
    ("1 态度恶劣", "1|态度恶劣"),
    ("5 谢谢", "5|谢谢"),
    ("5，谢谢工作人员", "5|谢谢工作人员"),
    ("2，材料要求说不清楚", "2|材料要求说不清楚"),
    ("3 等的时间有点长", "3|等的时间有点长"),
    ("4分 办事挺快的", "4|办事挺快的"),
    ("５ 服务很热情", "5|服务很热情"),
    ("1分，跑了三趟还没办成", "1|跑了三趟还没办成"),
    ("2 排队两小时，窗口只开一个", "2|排队两小时,窗口只开一个"),
    ("五星 小王服务很耐心", "5|小王服务很耐心"),
    ("5分，非常满意，谢谢", "5|非常满意,谢谢"),
    ("1，态度太差", "1|态度太差"),
    # the verb before the answer
    ("回复5", "5"),
    ("我选5", "5"),
    ("打5分", "5"),
    ("给五星", "5"),
    ("评1分 太慢", "1|太慢"),
    # words with a comment: the comment is kept whole
    ("不满意，排队太久", "2|不满意,排队太久"),
    ("非常满意，工作人员很耐心", "5|非常满意,工作人员很耐心"),
    ("排队两小时，不满意", "2|排队两小时,不满意"),
    ("服务态度很好，满意", "4|服务态度很好,满意"),
    ("态度很好但是效率很差，不满意", "2|态度很好但是效率很差,不满意"),
    # number and words that disagree (some forms count 1 as best): ask back
    ("1 非常满意", "?"),
    ("1非常满意", "?"),
    ("5 不满意", "?"),
    ("4 非常不满意", "?"),
    ("2 满意", "?"),
    # mixed or no verdict: ask back
    ("态度很好但是效率很差", "?"),
    ("太慢了", "?"),
    ("效率太低", "?"),
    ("满意也不满意", "?"),
    ("好的", "?"),
    ("好的收到", "?"),
    ("收到", "?"),
    ("谢谢", "?"),
    ("你好", "?"),
    ("你是谁", "?"),
    ("这是什么短信？", "?"),
    ("好慢啊", "?"),
    ("不好意思，打错了", "?"),
    ("?", "?"),
    ("。。。", "?"),
    ("", "?"),
    ("   ", "?"),
    ("嗯", "?"),
    ("哦", "?"),
    # numbers that are no answer to "1–5"
    ("0", "?"),
    ("6", "?"),
    ("10", "?"),
    ("10分", "?"),
    ("100分", "?"),
    ("12345", "?"),
    ("5 5 5", "?"),
    ("55555", "?"),
    ("5.5", "?"),
    ("13800138000", "?"),
    ("六", "?"),
    ("5分钟就办完了", "?"),
    ("2个小时才办完", "?"),
    ("3天了还没办好", "?"),
    ("跑了3趟", "?"),
    ("十分", "?"),
    # opt-out
    ("TD", "TD"),
    ("td", "TD"),
    ("Td", "TD"),
    ("T", "TD"),
    ("t", "TD"),
    ("N", "TD"),
    ("退订", "TD"),
    ("退訂", "TD"),
    ("TD退订", "TD"),
    ("退订！", "TD"),
    ("ＴＤ", "TD"),
    ("请退订", "TD"),
    ("不要再发了", "TD"),
    ("别再发短信了", "TD"),
    ("拒收", "TD"),
]

# After "which case?" the lettered choices A and B are on offer.
KEYED = [
    ("A", "A"),
    ("a", "A"),
    ("B", "B"),
    ("A5", "A5"),
    ("a5", "A5"),
    ("A 5", "A5"),
    ("A：5", "A5"),
    ("B2", "B2"),
    ("b 2 排队太久", "B2|排队太久"),
    ("A五星", "A5"),
    ("A 非常满意", "A5"),
    ("B不满意", "B2"),
    ("C5", "?"),
    ("5", "5"),
    ("TD", "TD"),
    ("Ａ５", "A5"),
    ("B、1 态度差", "B1|态度差"),
    ("A 4或5", "A ask 4,5"),
]


# The families that were misread, each a table. A reply with two candidate levels is asked back
# ("ask 4,5"), never rated.
PREFIXED = [
    ("评分：5", "5"),
    ("评分:4", "4"),
    ("评分：4 办得很快", "4|办得很快"),
    ("回复：3", "3"),
    ("回复:5", "5"),
    ("回复：1 态度太差", "1|态度太差"),
    ("答：2 太慢", "2|太慢"),
    ("答:五", "5"),
    ("答：非常满意", "5"),
    ("打分：4", "4"),
    ("评价：5 满意", "5"),
    ("评价：非常满意", "5"),
    ("评分5", "5"),
    ("我的评分：5", "5"),
    ("回复：TD", "TD"),
]
NUMERAL_COMMENT = [
    ("五 服务很好", "5|服务很好"),
    ("五，服务很好", "5|服务很好"),
    ("四 还行", "4"),
    ("三、等太久", "3|等太久"),
    ("一 态度太差", "1|态度太差"),
    ("二，材料说了三遍", "2|材料说了三遍"),
    ("伍 谢谢", "5|谢谢"),
    # a numeral inside a word is no answer
    ("3 一般", "3"),
    ("5 一次办成", "5|一次办成"),
    ("一直没人管", "?"),
    ("两小时才办完", "?"),
    ("三番五次跑", "?"),
]
EMOJI_DIGIT = [
    ("👍5", "5"),
    ("👍 4", "4"),
    ("👍👍5", "5"),
    ("👍5 很好", "5"),
    ("👍4 办得快", "4|办得快"),
    ("🙏5", "5"),
    ("🌹5分", "5"),
    ("😊 3 一般", "3"),
    ("🙂2 排队太久", "2|排队太久"),
    ("👎1", "1"),
    ("👎5", "?"),
    ("👍1", "?"),
]
DIGIT_DURATION = [
    ("5 10分钟就办完了", "5|10分钟就办完了"),
    ("5，10分钟就办完了", "5|10分钟就办完了"),
    ("5 5分钟办完", "5|5分钟办完"),
    ("5分 20分钟搞定", "5|20分钟搞定"),
    ("1 2小时都没办完", "1|2小时都没办完"),
    ("2，等了3个小时", "2|等了3个小时"),
    ("5，1到2分钟就办完", "5|1到2分钟就办完"),
    ("5 1-2个小时", "5|1-2个小时"),
    ("4 排队20分钟", "4|排队20分钟"),
    ("1 跑了3趟", "1|跑了3趟"),
    ("5 3天就办好了", "5|3天就办好了"),
    ("1 3人排队只开一个窗口", "1|3人排队只开一个窗口"),
    # a story without a rating digit stays no answer
    ("10分钟就办完了", "?"),
    ("3到5分钟就办完了", "?"),
]
ALTERNATIVES = [
    ("4或5", "ask 4,5"),
    ("4或者5", "ask 4,5"),
    ("5或4吧", "ask 5,4"),
    ("4还是5", "ask 4,5"),
    ("3到4", "ask 3,4"),
    ("3至4", "ask 3,4"),
    ("4-5", "ask 4,5"),
    ("4~5", "ask 4,5"),
    ("4/5", "ask 4,5"),
    ("4、5", "ask 4,5"),
    ("4 5", "ask 4,5"),
    ("4和5之间", "ask 4,5"),
    ("介于4和5", "ask 4,5"),
    ("4或5分", "ask 4,5"),
    ("四或五", "ask 4,5"),
    ("四到五", "ask 4,5"),
    ("四五星", "?"),
    ("满意或非常满意", "ask 5,4"),
    ("非常满意还是满意呢", "ask 5,4"),
    ("基本满意到满意之间", "ask 4,3"),
    ("评分：4或5", "ask 4,5"),
    ("1-5", "ask 1,5"),
    # a range that is a quantity: no alternative
    ("5 等了1到2个小时", "5|等了1到2个小时"),
]
FAMILIES = PREFIXED + NUMERAL_COMMENT + EMOJI_DIGIT + DIGIT_DURATION + ALTERNATIVES


def outcome(reply) -> str:
    if reply.kind == "opt_out":
        return "TD"
    if reply.kind == "ambiguous":
        return (f"{reply.key} " if reply.key else "") + "ask " + ",".join(str(level) for level in reply.candidates)
    if reply.kind == "unclear":
        return "?"
    text = (reply.key or "") + (str(reply.level) if reply.level else "")
    return text + (f"|{reply.comment}" if reply.comment else "")


def test_the_table_is_large_enough():
    assert len(CASES) + len(KEYED) >= 150
    assert len({text for text, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_reply(text, expected):
    assert outcome(parse_reply(text)) == expected


@pytest.mark.parametrize(("text", "expected"), FAMILIES)
def test_reply_families(text, expected):
    assert outcome(parse_reply(text)) == expected


def test_families_are_tabled_apart_and_none_rates_two_levels():
    assert len({text for text, _ in FAMILIES} | {text for text, _ in CASES}) == len(FAMILIES) + len(CASES)
    for text, _ in ALTERNATIVES:
        reply = parse_reply(text)
        assert reply.kind != "rating" or reply.comment, text


@pytest.mark.parametrize(("text", "expected"), KEYED)
def test_reply_to_a_choice(text, expected):
    assert outcome(parse_reply(text, frozenset({"A", "B"}))) == expected
