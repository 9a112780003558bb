"""The judge's equivalence table: (gold, prediction, equivalent?) with a comment per case. Shared by
test_judge.py (each row) and test_judge_stability.py (each row cold, warm, under load, both ways)."""

EQUIVALENCE = [
    # --- equivalent: same value, other spelling
    ("0.5", r"\frac{1}{2}", True),  # decimal vs fraction
    (r"\frac{1}{2}", "0.5", True),  # fraction vs decimal
    (r"\frac{1}{2}", "1/2", True),  # slash fraction
    (r"\frac{3}{4}", r"\dfrac{3}{4}", True),  # \dfrac
    (r"\frac{3}{4}", r"\tfrac{3}{4}", True),  # \tfrac
    (r"\frac{3}{4}", "0.75", True),  # decimal
    (r"\frac{6}{8}", r"\frac{3}{4}", True),  # unreduced fraction
    (r"3\sqrt{2}", r"\sqrt{18}", True),  # radical simplification
    (r"\sqrt{18}", r"3\sqrt{2}", True),  # ... the other way
    (r"2\sqrt{3}", r"\sqrt{12}", True),  # another radical
    ("7", "y = 7", True),  # assignment
    ("7", "x=7", True),  # assignment without spaces
    ("7", r"\boxed{7}", True),  # boxed
    ("7", r"$\boxed{7}$", True),  # boxed in math mode
    ("7", "$7$", True),  # math mode
    ("7", r"\(7\)", True),  # inline math delimiters
    ("12500", "12,500", True),  # thousands separator
    ("12,500", "12500", True),  # ... in the gold
    ("1234567", "1,234,567", True),  # several separators
    ("12500", r"12{,}500", True),  # LaTeX thousands separator
    ("12500", r"12\,500", True),  # LaTeX thin space
    ("-3", "\u22123", True),  # unicode minus
    ("-3", "\u20133", True),  # en dash used as minus
    ("-3", r"- 3", True),  # spaced minus
    ("5", "5 cm", True),  # unit word
    ("5", r"5 \text{ cm}", True),  # \text unit
    ("5", r"5\mbox{ apples}", True),  # \mbox unit
    ("5", "5 apples", True),  # word after the number
    ("90", r"90^\circ", True),  # degrees
    ("90", r"90^{\circ}", True),  # degrees in braces
    ("50", r"50\%", True),  # percent sign
    ("0.5", r"50\%", True),  # percent of a fractional gold
    ("0.5", "50%", True),  # plain percent sign
    ("0.5", "5%", False),  # wrong percent
    ("3", "3.0", True),  # trailing .0
    ("3", "3.", True),  # trailing period
    ("3", "The answer is 3", True),  # short sentence
    ("[1,2)", "[1, 2)", True),  # interval, other spacing
    (r"(-\infty, 3]", r"(-\infty,3]", True),  # unbounded interval
    (r"(-\infty, 3]", r"\left(-\infty, 3\right]", True),  # \left \right
    (r"\{1,2\}", r"\{2, 1\}", True),  # set, other order
    ("2, 5, 7", "7,5,2", True),  # list as a set, other order
    ("(1,2)", "(1, 2)", True),  # point, other spacing
    ("x^2+2x+1", "(x+1)^2", True),  # expanded polynomial
    (r"\frac{\pi}{2}", r"\pi/2", True),  # pi fraction
    (r"\frac{\pi}{2}", r"\frac{1}{2}\pi", True),  # reordered product
    ("2x", "x*2", True),  # commuted product
    (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}", True),  # rationalised denominator
    (r"\ln 8", r"3\ln 2", True),  # log identity
    ("0.25", r"\frac{1}{4}", True),  # decimal gold
    ("10", r"10\;", True),  # trailing spacing command
    ("10", r"\!10", True),  # negative space
    ("10", r"\displaystyle 10", True),  # \displaystyle
    ("-0.5", r"-\frac{1}{2}", True),  # negative fraction
    ("-0.5", r"\frac{-1}{2}", True),  # minus in the numerator
    # --- not equivalent
    ("0.5", "0.6", False),  # different decimal
    (r"\frac{1}{3}", "0.33", False),  # rounded, so not equal
    (r"3\sqrt{2}", r"\sqrt{12}", False),  # different radical
    ("7", "-7", False),  # sign
    ("7", "y = 8", False),  # wrong assignment
    ("4", "3 or 4", False),  # hedging with "or"
    ("4", "3, 4", False),  # hedging with a list
    ("4", r"\pm 4", False),  # hedging with \pm
    ("4", "4 and 5", False),  # hedging with "and"
    ("4", r"\boxed{3} or \boxed{4}", False),  # hedging with two boxes
    ("4", r"\boxed{4}\boxed{3}", False),  # two boxes, no separator
    ("5", r"4 \vee 5", False),  # hedging with a logical or
    ("5", "4 | 5", False),  # hedging with a bar
    ("3", "|-3|", True),  # absolute value bars are not a hedge
    ("[1,2)", "[1,2]", False),  # closed vs half-open
    ("(1,2)", "(2,1)", False),  # ordered pair, other order
    (r"\{1,2\}", r"\{1,3\}", False),  # different set
    ("x^2+2x+1", "(x-1)^2", False),  # different polynomial
    ("12500", "1250", False),  # dropped digit
    ("2", "", False),  # empty prediction
    ("2", None, False),  # no prediction
    ("2", r"2^{2^{2^{2^{2^{2}}}}}", False),  # power tower: refused, not evaluated
    ("5", "five hundred", False),  # number words: 500, not 5
    # --- unicode math, both directions
    (r"\sqrt{2}", "√2", True),  # root sign
    ("√2", r"\sqrt{2}", True),  # ... in the gold
    (r"2\sqrt{3}", "2√3", True),  # coefficient and root sign
    (r"\sqrt{x+1}", "√(x+1)", True),  # root of a parenthesis
    (r"\sqrt{2}", "√3", False),  # another root
    (r"\frac{1}{2}", "½", True),  # vulgar fraction
    ("½", "0.5", True),  # ... in the gold
    (r"\frac{3}{2}", "1½", True),  # mixed number: one and a half, not eleven halves
    ("½", "¼", False),  # another fraction
    ("x^2", "x²", True),  # superscript exponent
    ("x³", "x^3", True),  # ... in the gold
    ("x^2", "x³", False),  # another exponent
    ("x^{-1}", "x⁻¹", True),  # negative superscript exponent
    ("6", "2×3", False),  # a product left undone restates the problem: no value stated (was True before issue 35)
    (r"\pi r^2", "πr²", True),  # pi and an exponent together
    ("-3", "\u22123", True),  # unicode minus
    # --- wrapped numbers and currency
    ("5", r"\text{5}", True),  # \text-wrapped number
    (r"\mathrm{5}", "5", True),  # ... in the gold
    ("5", r"\textbf{5 cm}", True),  # wrapped with a unit
    ("5", r"\text{6}", False),  # wrapped, wrong
    ("5", r"\$5", True),  # escaped dollar sign in the answer
    (r"\$5", "5", True),  # ... in the gold
    (r"\$12.50", r"$\$12.50$", True),  # both, inside math mode
    ("5", "€5", True),  # euro sign
    (r"\$5", r"\$6", False),  # currency, wrong amount
    # --- the empty set
    (r"\emptyset", r"\varnothing", True),  # synonym
    (r"\varnothing", r"\{\}", True),  # empty braces
    (r"\emptyset", "∅", True),  # unicode
    (r"\emptyset", r"\{0\}", False),  # the set holding zero is not empty
    # --- vectors and matrices with other spacing
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", True),  # spaces
    (r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}", r"\begin{pmatrix}1&0\\0&1\end{pmatrix}", True),  # matrix
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\begin{pmatrix} 2 \\ 1 \end{pmatrix}", False),  # other vector
    # --- digit groups separated by spaces
    ("12500", "12 500", True),  # valid thousands group
    ("12 500", "12,500", True),  # ... in the gold
    ("1234567", "1 234 567", True),  # several groups
    ("12", "1 2", False),  # not a thousands group: two numbers, never twelve
    ("1250", "12 50", False),  # a group of two digits is not a thousands group
    # --- a numeral with a base subscript is its value
    ("123_4", "123_4", True),  # same base, same digits
    ("5", "101_2", True),  # 101 in base 2 is five
    ("101_2", "5", True),  # ... in the gold
    ("(1011)_2", "1011_{2}", True),  # other spellings of the subscript
    ("123_4", "27", True),  # the value in base 10
    ("1011_2", "1011", True),  # the digits asked for, without the subscript (was False before issue 35)
    ("10", "10_2", True),  # ... the same rule, the other way: symmetric (was False before issue 35)
    ("1011_2", "1101", False),  # other digits
    ("1011_2", "1011_3", False),  # the same digits in another base: another value
    ("123_4", "123_5", False),  # another base: another value
    ("27", "27_{10}", True),  # a base-10 subscript is just decimal
    ("123_4", "129_4", False),  # a digit base 4 does not have
    ("123", "123_4", True),  # a gold of digits, the numeral with its base
    ("(1F)_{16}", "1f", True),  # hexadecimal digits in either case
    ("123_4", "123_{10}", False),  # an explicit base ten is another value
    ("123_4", "124", False),  # other digits
    # --- words after a number: units and counted nouns go, words that change the value stay
    ("7", "7 apples", True),  # counted noun
    ("7", "7 cm^2", True),  # unit with an exponent
    ("7", r"7 \text{ cm}^2", True),  # \text unit with an exponent
    ("60", "60 km/h", True),  # compound unit
    ("5", "5 m", True),  # one-letter unit
    ("7", r"\$7.00", True),  # currency and cents
    ("12", "12 square units", True),  # two unit words
    ("50", "50 percent", True),  # percent spelled out
    ("0.5", "50 percent", True),  # ... for a fractional gold
    ("7", "7 or eight", False),  # a second candidate in words
    ("7", "7 or more", False),  # an open range
    ("7", "at least 7", False),  # an open range before the number
    ("7", "more than 7", False),  # a comparative
    ("7", "7 squared", False),  # an operator spelled out changes the value
    ("49", "7 squared", False),  # ... and is not evaluated either
    ("14", "14 minus one", False),  # arithmetic spelled out
    ("7", "7 x", False),  # a bare variable after the number
    ("7", "7 n", False),  # another variable
    ("7", "7 apples and 2 pears", False),  # two counts
    # --- prose stating two values is a hedge; one value in prose is an answer
    ("7", r"\text{final answer is 7, no: } 9", False),  # a correction: two values
    ("9", r"\text{final answer is 7, no: } 9", False),  # ... not paid for either gold
    ("7", "the answer is 7, the answer is 9", False),  # two statements
    ("7", "it is 7 or maybe 9", False),  # a hedge in words
    ("7", r"\text{the answer is } 7", True),  # one value in prose
    ("3", "The answer is 3 apples", True),  # one value, a counted noun
    # --- repeating decimals
    (r"\frac{9}{11}", r"0.\overline{81}", True),  # two repeating digits
    (r"\frac{1}{3}", r"0.\overline{3}", True),  # one repeating digit
    (r"\frac{1}{6}", r"0.1\overline{6}", True),  # a fixed digit before the repeat
    (r"\frac{25}{9}", r"2.\overline{7}", True),  # an integer part
    (r"-\frac{1}{3}", r"-0.\overline{3}", True),  # negative
    ("1", r"0.\overline{9}", True),  # 0.999... is 1
    ("2", r"2.\overline{7}", False),  # not its integer part
    (r"\frac{9}{11}", "0.81", False),  # rounded is not repeating
    # --- one-token LaTeX arguments
    (r"\log_3 5", "5", False),  # the argument alone is not the logarithm
    (r"\log_3 5", r"\log_{3}{5}", True),  # braced
    (r"\log_3 5", r"\frac{\ln 5}{\ln 3}", True),  # change of base
    (r"\frac 3 4", "0.75", True),  # spaced bare digits
    (r"\frac34", r"\frac{3}{4}", True),  # unspaced bare digits
    (r"\frac34", "34", False),  # not thirty-four
    (r"\sqrt 5", r"\sqrt{5}", True),  # bare root argument
    (r"\sqrt 5", "5", False),  # not the radicand
    # --- intervals written as inequalities
    (r"[2,\infty)", r"x \ge 2", True),  # \ge
    (r"[2,\infty)", r"x \geq 2", True),  # \geq
    (r"[2,\infty)", "x ≥ 2", True),  # unicode
    (r"(2,\infty)", "x > 2", True),  # strict
    (r"[2,\infty)", "x > 2", False),  # strict is not closed
    (r"(-3,1]", r"-3 < x \le 1", True),  # double inequality
    (r"(-3,1]", r"-3 \le x \le 1", False),  # other endpoint
    (r"(-\infty,5)", "5 > x", True),  # the variable on the right
    (r"(-\infty,5)", "x < 5", True),  # bounded above
    (r"[1,7)", r"7 > x \ge 1", True),  # decreasing double inequality
    ("x > 2", "2 < x", True),  # both inequalities
    (r"(2,\infty)", "x < 2", False),  # the other side
    (r"[\sqrt{2},\infty)", r"x \ge \sqrt{2}", True),  # a symbolic endpoint
    # --- complex numbers: i is the imaginary unit when an answer holds it as a number
    ("i^2", "-1", True),  # i squared
    ("i^2", "1", False),  # ... is not 1
    ("3i", "3 i", True),  # spaced
    ("3i", r"3\cdot i", True),  # \cdot
    (r"\frac{3}{5}i", "0.6i", True),  # decimal coefficient
    (r"\frac{3i}{5}", r"\frac{3}{5}i", True),  # i inside the fraction
    ("1+2i", "2i+1", True),  # reordered
    ("1+2i", "1-2i", False),  # conjugate
    ("i", "-i", False),  # sign
    (r"\frac{1}{i}", "-i", True),  # reciprocal
    # --- number words
    ("7", "seven", True),  # a small number word
    ("7", "Seven", True),  # capitalised
    ("21", "twenty-one", True),  # hyphenated
    ("105", "one hundred five", True),  # with a scale
    ("7", "seven apples", True),  # with a counted noun
    ("7", "eight", False),  # another number word
    ("7", "seven eight", False),  # two numbers, not one
    # --- named tuples and memberships
    ("(3,5)", "(x, y) = (3, 5)", True),  # a named point
    ("(3,5)", "(x, y) = (5, 3)", False),  # swapped
    ("[-1,6]", r"x \in [-1, 6]", True),  # membership
    ("(x-1)(x+1)", "x^2 - 1", True),  # factored polynomial
    # --- multi-part answers joined by words, or in several boxes, in both directions
    ("19, 46, and 82", r"19, 46, \text{ and } 82", True),  # "and" before the last item
    (r"19, 46, \text{ and } 82", "82, 19, 46", True),  # ... the other way, other order
    ("-2, 4", r"x = 4 \text{ or } x = -2", True),  # solutions joined by "or"
    (r"x = 3 \text{ or } x = 5", "3, 5", True),  # ... in the gold
    ("(1, 2), (3, 4)", r"(3, 4) \quad\text{and}\quad (1, 2)", True),  # points joined by \quad and \quad
    ("2, 3", r"\boxed{2} and \boxed{3}", True),  # two boxes for a two-part gold
    (r"\boxed{2}, \boxed{3}", "2, 3", True),  # ... in the gold
    ("7, 9", r"7 \text{ and } 8", False),  # a wrong part
    ("7, 8, 9", "7 and 8", False),  # a part missing
    ("3", r"3 \text{ or } 5", False),  # against one value, two values stay a hedge
    ("2", r"\boxed{2} and \boxed{3}", False),  # ... and so do two boxes
    # --- braces hold a list or a set
    (r"\pm 2021", "{-2021, 2021}", True),  # \pm is the two values
    ("{-2021, 2021}", r"\pm 2021", True),  # ... in the gold
    (r"\{2, 4, 6\}", "6, 4, 2", True),  # a set ignores order
    ("2, 4, 6", r"\{2, 4, 6\}", True),  # ... in the gold
    (r"\{2, 4, 6\}", r"\boxed{2},\boxed{4},\boxed{6}", True),  # boxes for a set
    ("-1;0;1", r"\{1, 0, -1\}", True),  # semicolons
    (r"\{2, 4, 6\}", "2, 4", False),  # a member missing
    (r"\pm 3", "{-3, 4}", False),  # a wrong member
    (r"\frac{1 \pm \sqrt{5}}{2}", r"\frac{1+\sqrt{5}}{2}, \frac{1-\sqrt{5}}{2}", True),  # \pm inside a fraction
    (r"\frac{1+\sqrt{5}}{2} \text{ and } \frac{1-\sqrt{5}}{2}", r"\frac{1 \pm \sqrt{5}}{2}", True),  # ... in the answer
    (r"\frac{1 \pm \sqrt{5}}{2}", r"\frac{1+\sqrt{5}}{2}, \frac{-1-\sqrt{5}}{2}", False),  # a wrong root
    ("(2, 3)", "{2, 3}", True),  # a list in braces against a pair, in its written order
    ("(2, 3)", "{3, 2}", False),  # ... not in another
    # --- a gold's label is not prose
    ("AB=4, CD=5", "4, 5", True),  # segment names
    ("4, 5", "AB = 4, CD = 5", True),  # ... in the answer
    (r"\frac{NO}{BO}=\frac{1}{\sqrt{6}}", r"\frac{\sqrt{6}}{6}", True),  # a ratio's name: NO is not "no"
    ("OR = 5", "5", True),  # OR is a segment, not the word "or"
    ("5", "OR = 5", True),  # ... in the answer
    ("AB=4, CD=5", "4, 6", False),  # a wrong value after a label
    ("OR = 5", "6", False),  # ... and after one name
    ("a_3 = 2, a_{37} = 19", r"a_{37} = 19, \quad a_3 = 2", True),  # labelled parts match by name
    # --- the same equation or inequality in another form
    ("y = 2x + 1", "2x - y + 1 = 0", True),  # rearranged
    ("2x - y + 1 = 0", "y = 2x + 1", True),  # ... the other way
    ("2x + 4y - 3 = 0", r"y = -\frac{1}{2}x + \frac{3}{4}", True),  # scaled and rearranged
    ("y = 2x + 1", "y = 2x - 1", False),  # another line
    ("y = 2x + 1", "2x - y - 1 = 0", False),  # ... rearranged
    ("x < 1", "-x > -1", True),  # negated inequality
    ("-x > -1", "x < 1", True),  # ... the other way
    ("x <= 1", r"1 \ge x", True),  # the variable on the right
    ("x < 1", "-x < -1", False),  # negated without flipping
    (r"(-\infty,-1]\cup[4,\infty)", r"x \le -1 \text{ or } x \ge 4", True),  # union as inequalities
    (r"x \le -1 \text{ or } x \ge 4", r"(-\infty,-1]\cup[4,\infty)", True),  # ... in the gold
    (r"(-\infty,-1]\cup[4,\infty)", r"x < -1 \text{ or } x \ge 4", False),  # an endpoint left out
    # --- upright constants
    (r"\frac{1}{\mathrm{e}}", r"\frac{1}{e}", True),  # \mathrm{e} is e
    (r"1 - \frac{1}{\mathrm{e}}", r"1 + \frac{1}{\mathrm{e}}", False),  # the whole parse, not a fragment
    (r"4\mathrm{e}", "4", False),  # 4e is not 4
    (r"\mathrm{e}^{3}", "e^3", True),  # a power of e
    (r"\text{e}^{2}", r"\operatorname{e}^2", True),  # \text{e}, \operatorname{e}
    (r"2\mathrm{i}", "2i", True),  # the imaginary unit upright
    (r"2\mathrm{i}", "-2i", False),  # ... and its sign
    # --- small classes: binomials, fractions in words, points as assignments, yes / no, units
    ("20", r"\binom 6 3", True),  # a brace-less binomial
    (r"\dbinom{6}{3}", "20", True),  # \dbinom
    ("15", r"\binom 6 3", False),  # ... is its value only
    (r"\frac{2}{5}", "two fifths", True),  # a fraction in words
    ("0.75", "three quarters", True),  # quarters
    (r"\frac{1}{3}", "two thirds", False),  # another fraction in words
    ("(2, 7)", "a = 2, b = 7", True),  # a point as assignments
    ("a = 2, b = 7", "(2, 7)", True),  # ... in the gold
    ("(2, 7)", "a = 7, b = 2", False),  # swapped
    (r"\text{No}", r"\text{no}", True),  # a yes/no answer is an answer, not the hedge word
    (r"\text{No}", "no", True),  # plain
    ("No", "yes", False),  # the other answer
    ("Yes", r"\text{yes}", True),  # yes
    (r"12\pi", r"12\pi \text{ cm}^2", True),  # a unit after a symbolic value
    (r"12\pi \text{ m}^2", r"12\pi", True),  # ... in the gold
    (r"12\pi", r"13\pi \text{ cm}^2", False),  # ... a wrong value with a unit
    # --- arithmetic of plain numbers left undone is not an answer (it restates the problem)
    ("98", r"19 \times 9 - 73", False),  # the problem's own expression
    ("98", r"19 \times 9 - 73 = 19 \times 9 - 73", False),  # ... written twice: an equation of it states no value
    ("98", r"98 = 19 \times 9 - 73", False),  # ... an equation ending in it (math-verify reads the last side)
    ("98", r"19 \times 9 - 73 = 98", True),  # the working, then the value: it states 98
    ("98", r"(19 \times 9 - 73) \text{ apples}", False),  # a unit after the brackets changes nothing
    ("98", r"\{19 \times 9 - 73\}", False),  # ... nor braces around it
    ("98", r"|19 \times 9 - 73|", False),  # ... nor absolute-value bars
    ("98", r"(19 \times 9 - 73)^\circ", False),  # ... nor a degree sign
    ("98", "19⋅9 − 73", False),  # unicode dot operator and minus
    ("98", r"= 19 \times 9 - 73", False),  # a leading equals sign
    ("98", r"\text{So } 19 \times 9 - 73.", False),  # a sentence around it
    ("98", r"(19 \times 9 - 73) m", False),  # a one-letter unit after it
    ("42", r"6 \times 7 = 42", True),  # working that ends in the value, both ways (symmetric)
    ("253", "(92 + 89) + 72", False),  # a chain, brackets kept
    ("14", "2(3 + 4)", False),  # implicit product with a bracket
    ("3", r"\frac{5 + 1}{2}", False),  # a fraction of arithmetic
    ("2", "8 ÷ 4", False),  # unicode division sign
    ("12", r"3 \cdot 4", False),  # \cdot
    (r"\frac{5}{6}", "1/2 + 1/3", False),  # a sum of fractions
    (r"19 \times 9 - 73", r"19 \times 9 - 73", True),  # a gold is always an answer to itself
    (r"2 \times 3", r"2 \cdot 3", True),  # ... and to its other spellings
    (r"\frac{3}{4}", "3/4", True),  # a fraction of two numbers is a closed form
    ("400000", r"4 \times 10^{5}", True),  # scientific notation is a value
    ("1024", r"2^{10}", True),  # a power
    (r"1 + \sqrt{2}", r"\sqrt{2} + 1", True),  # a root in a sum
    ("20", r"\binom{6}{3}", True),  # a binomial
    ("120", "5!", True),  # a factorial
    (r"\frac{11}{4}", r"2\frac{3}{4}", True),  # a mixed number is one value, not a product
    ("-5", "(-5)", True),  # a signed number in brackets
    # --- issue 35 review: spellings the first rules missed
    ("x^2+y^2=25", "y^2+x^2=25", True),  # two powers unspaced are no power tower: a circle, its squares swapped
    ("(x-1)^2+(y-2)^2=9", "(y-2)^2+(x-1)^2=9", True),  # ... with brackets
    ("(x-1)^2+(y-2)^2=9", "(x+1)^2+(y-2)^2=9", False),  # ... the centre moved
    ("12", r"So there are $12$ apples in total.", True),  # one value in a sentence, counted words after it
    ("12", "So there are 12 apples.", True),  # ... without math delimiters
    ("12", "So there are 13 apples.", False),  # ... another value
    ("12", "She needs 12 more marbles.", False),  # "more" could change the value: a hedge
    (r"\frac{1}{2}", r"\sin{30^\circ}", True),  # a braced degree angle
    (r"\frac{1}{2}", r"\sin{60^\circ}", False),  # ... another angle
    ("4", r"4 \text{ given } n \text{ even}", False),  # "given": a condition, a hedge
    ("4:30 PM", "16{:}30", True),  # LaTeX's spaced colon in a 24-hour time
    (r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)", r"x \neq \pm 2", True),  # two points excluded with \pm
    (r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)", r"x \ne 2, x \ne -2", True),  # ... as a list of exclusions
    (r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)", r"x \ne -2, 2", True),  # ... one \ne, two points
    (r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)", r"x \neq 2 \text{ and } x \neq -2", True),  # ... joined by "and"
    (r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)", r"x \neq \pm 3", False),  # other points
    # --- E-notation and scientific notation are exact numbers
    ("0.000034", "3.4e-5", True),  # E-notation, negative exponent
    ("3.4e-5", "0.000034", True),  # ... in the gold
    (r"6.02 \times 10^{23}", "6.02E23", True),  # upper-case E against \times 10^{n}
    ("1500", "1.5e3", True),  # positive exponent
    ("0.000034", "3.4e-6", False),  # another exponent
    (r"6.02 \times 10^{23}", "6.02e22", False),  # ... against scientific notation
    (r"3\mathrm{e}-5", "0.00003", False),  # Euler's number written upright is never E-notation
    # --- thousands separators of other locales, when a decimal point is impossible
    ("2500000", "2.500.000", True),  # two dot groups
    ("1.234.567,89", "1234567.89", True),  # dot groups and a decimal comma, in the gold
    ("1000000", "1'000'000", True),  # apostrophes
    ("2500000", "2.500.001", False),  # another number
    ("2500", "2.500", False),  # one dot is a decimal point: two and a half
    # --- unicode roots
    (r"\sqrt[3]{2}", "∛2", True),  # cube root sign
    ("∜16", "2", True),  # fourth root, in the gold
    (r"\sqrt[3]{2}", "³√2", True),  # a superscript index before the root sign
    (r"\sqrt[3]{2}", "∜2", False),  # another root
    ("3", "∛9", False),  # a wrong radicand
    # --- a mixed number written with a space is one value
    (r"\frac{13}{4}", "3 1/4", True),  # integer, space, proper fraction
    ("-3 1/4", "-3.25", True),  # negative, in the gold
    (r"\frac{13}{4}", "3 1/5", False),  # another fraction part
    (r"\frac{3}{4}", "3 1/4", False),  # not the product 3 x 1/4
    ("3, 5/4", "3 5/4", True),  # an improper fraction after a space: still two numbers
    # --- infinity in words
    (r"\infty", r"\text{infinity}", True),  # \text{infinity}
    (r"(-\infty, 3]", "(-infinity, 3]", True),  # inside an interval
    (r"-\text{infinity}", r"-\infty", True),  # negative, in the gold
    (r"-\infty", r"\text{infinity}", False),  # the other sign
    # --- a trigonometric function of an angle in degrees is its value
    (r"\frac{1}{2}", r"\cos 60^\circ", True),  # \cos 60^\circ = 1/2
    (r"\sin(60^{\circ})", r"\frac{\sqrt{3}}{2}", True),  # brackets and braces, in the gold
    ("1", "tan 45°", True),  # unicode degree sign
    (r"\frac{3}{4}", r"\sin^2 60^\circ", True),  # a power of the function
    (r"\frac{1}{2}", r"\sin 60^\circ", False),  # another function
    (r"\frac{1}{2}", r"\cos 60", False),  # no degree sign: 60 radians
    ("60", r"60^\circ", True),  # a degree sign on the whole answer stays a unit
    (r"\frac{\pi}{3}", r"60^\circ", False),  # ... and is not converted to radians
    # --- the hour of a clock: the meridiem is part of the value
    ("11:20 PM", "11:20 p.m.", True),  # another spelling of the meridiem
    (r"11:20 \text{ p.m.}", "11:20pm", True),  # \text{ p.m.} against pm, glued
    ("11:20 PM", "23:20", True),  # a 24-hour time is its 12-hour spelling
    ("00:15", "12:15 a.m.", True),  # ... just after midnight, in the gold
    ("5 PM", "17:00", True),  # an hour alone with its meridiem
    ("9:30 AM", "09:30", True),  # a zero-padded hour is a 24-hour time
    ("11:20 PM", "11:20 AM", False),  # the other half of the day
    ("11:20 AM", "23:20", False),  # ... against a 24-hour time
    ("11:20 PM", "11:20", False),  # no meridiem: which half is not stated
    ("11:20", "11:20 AM", False),  # ... in the gold too (the verdict is symmetric)
    ("5 PM", "5", False),  # a bare number is not a time
    ("11:20", "11:20", True),  # a time without meridiem equals itself only
    ("12:00 PM", r"\text{noon}", True),  # noon
    ("12:00 AM", "noon", False),  # midnight is not noon
    # --- conditional answers: a value in a case only is a hedge
    ("6", r"6 \text{ when } k \text{ is odd}", False),  # a condition on the problem's variable
    ("2", "x = 2 if a > 0", False),  # a labelled value with a condition
    (r"\boxed{6} \text{ for } k \text{ odd}", "6", False),  # a condition after a box, in the gold
    ("5", r"5 \text{ unless } n = 1", False),  # unless
    ("1", r"\begin{cases} 1 & n \text{ odd} \\ 0 & n \text{ even} \end{cases}", False),  # piecewise
    (r"6 \text{ when } k \text{ is odd}", r"6 \text{ when } k \text{ is odd}", True),  # a gold equals itself
    ("6", r"\boxed{6} \text{ for part (a)}", True),  # "for" naming a part is no condition
    # --- multiple choice: a letter and a value are one answer
    (r"\textbf{(C)}\ 12", "C", True),  # the letter alone
    (r"\textbf{(C)}\ 12", "12", True),  # the value alone
    (r"\textbf{(C)}\ 12", r"\text{(C) } 12", True),  # both
    ("(B) 7", r"\textbf{(B)}", True),  # the bold letter, the other way
    (r"\boxed{D}", r"\textbf{(D)}\ \frac{1}{2}", True),  # a boxed letter as the gold
    (r"\textbf{(C)}\ \frac{1}{2}", "0.5", True),  # the value in another spelling
    (r"\textbf{(C)}\ 12", "D", False),  # another letter
    (r"\textbf{(C)}\ 12", "13", False),  # another value
    (r"\textbf{(C)}\ 12", "(D) 12", False),  # another letter with the value
    (r"\textbf{(C)}\ 12", "(C) 13", False),  # the letter with another value contradicts itself
    ("(B) 7", "(B) or (C)", False),  # two letters: a hedge
    # --- \pm inside a list of solutions
    (r"0, \pm 2", "-2, 0, 2", True),  # three solutions
    ("-1, 1, -3, 3", r"\pm 1, \pm 3", True),  # two \pm, in the answer
    (r"x = 0, x = \pm 2", r"\{-2, 0, 2\}", True),  # labelled solutions against a set
    (r"0, \pm 2", "0, 2", False),  # a solution missing
    (r"0, \pm 2", r"0, \pm 3", False),  # another pair
    (r"1, \pm \sqrt{2}", r"1, \sqrt{2}, -\sqrt{2}", True),  # a root's two signs
    # --- set-builder notation is the set it describes
    (r"\{x \mid x > 2\}", r"(2, \infty)", True),  # over the reals: the interval
    (r"[-1, 4)", r"\{x \in \mathbb{R} : -1 \le x < 4\}", True),  # a named domain, in the answer
    (r"\{x \mid x^2 < 9\}", "(-3, 3)", True),  # a quadratic condition
    (r"\{x \mid x < 1 \text{ or } x > 3\}", r"(-\infty,1)\cup(3,\infty)", True),  # a union
    (r"\{1, 2, 3\}", r"\{n \in \mathbb{Z} : 1 \le n \le 3\}", True),  # over the integers: a finite set
    (r"\{n \in \mathbb{Z}^+ \mid n < 4\}", "1, 2, 3", True),  # the positive integers, in the gold
    (r"\{x \mid x > 2\}", r"[2, \infty)", False),  # an endpoint added
    (r"\{x \mid x^2 < 9\}", "(-3, 3]", False),  # ... and against a quadratic condition
    (r"\{n \in \mathbb{Z} \mid 0 < n < 4\}", "0, 1, 2, 3", False),  # a member too many
    (r"\{1, 2, 3\}", r"\{n \in \mathbb{N} : n < 4\}", False),  # is 0 natural? not decided: as written
    # --- x \ne a is the reals without a
    (r"x \neq 3", r"(-\infty,3)\cup(3,\infty)", True),  # the union of two open rays
    (r"(-\infty,-1)\cup(-1,\infty)", r"x \ne -1", True),  # ... the other way
    (r"\mathbb{R} \setminus \{3\}", r"x \neq 3", True),  # the reals minus a point
    (r"\{x \mid x \neq 3\}", r"\mathbb{R} \setminus \{3\}", True),  # a set-builder of it
    (r"x \neq 3", r"(-\infty,3)\cup(4,\infty)", False),  # another gap
    (r"x \neq 3", r"x \neq 4", False),  # another point
    (r"x \neq 3", "3", False),  # the point itself
    # --- equations with terms reordered or moved across the sign
    ("(x-1)^2 + (y+2)^2 = 9", "(y+2)^2 + (x-1)^2 = 9", True),  # a circle's two squares swapped
    ("(x-1)^2 + (y+2)^2 = 9", "(y+2)^2 = 9 - (x-1)^2", True),  # a square moved across
    ("x^2 + y^2 - 2x + 4y - 4 = 0", "(x-1)^2 + (y+2)^2 = 9", True),  # expanded, in the gold
    (r"\frac{x^2}{4} + \frac{y^2}{9} = 1", "9x^2 + 4y^2 = 36", True),  # an ellipse scaled
    ("y^2 = 4x", "4x = y^2", True),  # sides swapped
    ("(x-1)^2 + (y+2)^2 = 9", "(x-1)^2 + (y-2)^2 = 9", False),  # the centre moved
    ("(x-1)^2 + (y+2)^2 = 9", "(x+1)^2 + (y+2)^2 = 9", False),  # ... along the other axis
    ("x^2 - y^2 = 1", "y^2 - x^2 = 1", False),  # the conjugate hyperbola
    # --- what a small model writes around one value inside the block
    ("36", r"36 \quad (\text{check: } 6 \times 6 = 36 ✓)", True),  # a trailing check
    (r"\frac{3}{4} (verify: 3/4 \cdot 4 = 3)", "0.75", True),  # ... in the gold
    ("37", r"36 (check: 6 \times 6 = 36 ✓)", False),  # the check does not change a wrong value
    ("10", r"2 + 3 = 5, \; 5 \times 2 = 10. \text{Final answer: } 10", True),  # working, then a marked answer
    ("5", r"2 + 3 = 5, \; 5 \times 2 = 10. \text{Final answer: } 10", False),  # ... never an intermediate result
    ("12", "Final Answer: 12. I hope it is correct.", True),  # a sentence after it that states no value
    ("12", "Final answer: 12. Or maybe 13.", False),  # ... a second value after it: a hedge
    ("(-1, 4)", "So the answer is $(-1, 4)$.", True),  # one value inside a sentence
    (r"The vertex is at $\left(2, -3\right)$.", "(2, -3)", True),  # ... without a marker, in the gold
    ("(-1, 4)", "So the answer is $(4, -1)$.", False),  # the sentence's value is wrong
    ("7", "at least $7$", False),  # words that change the value stay
    (r"\frac{1}{2}", r"\frac{1}{2} \text{ or } 0.5", True),  # two writings of one value
    ("0.25", r"\frac{1}{4} (or 0.25)", True),  # ... the second in brackets
    (r"\frac{1}{2} = 0.5", "0.5", True),  # ... joined by "=", in the gold
    (r"\frac{1}{2}", r"\frac{1}{2} \text{ or } \frac{1}{3}", False),  # two values stay a hedge
    (r"\frac{1}{3}", r"\frac{1}{3} \text{ or } 0.333", False),  # an approximation is another value
    ("5", r"\boxed{5", True),  # an unbalanced box at the end
    (r"\frac{1}{2}", r"x = \boxed{\frac{1}{2}", True),  # ... after a label
    ("6", r"\boxed{7", False),  # ... holding a wrong value
]
