using CsMetrics.Scoring.Voc;

namespace CsMetrics.Scoring.Tests.Voc;

public class ThemeMatcherTests
{
    private static readonly ThemeMatcher Matcher = new([
        new VocTheme("price", ["price", "expensive"]),
        new VocTheme("bugs", ["bug", "bugs", "crash"]),
        new VocTheme("performance", ["slow load", "slow"]),
    ]);

    [Theory]
    [InlineData("Too EXPENSIVE for what it does", "price")]
    [InlineData("A bug! Then another crash.", "bugs")]
    [InlineData("Price is fine but the app has bugs", "price,bugs")]
    [InlineData("debugging is painful", "other")]           // "bug" inside a word does not count
    [InlineData("priceless support", "other")]
    [InlineData("", "other")]
    [InlineData("so slow, load takes ages", "performance")]  // punctuation between words of a phrase is ignored
    [InlineData("SLOW", "performance")]
    public void Whole_words_case_insensitive_several_themes_or_other(string comment, string expected)
    {
        Assert.Equal(expected.Split(','), Matcher.Match(comment));
    }

    [Fact]
    public void A_phrase_needs_its_words_in_a_row()
    {
        var m = new ThemeMatcher([new VocTheme("onboarding", ["set up"])]);
        Assert.Equal(["onboarding"], m.Match("Hard to set up the SSO"));
        Assert.Equal([ThemeMatcher.Other], m.Match("set it up yourself"));
        Assert.True(m.IsIn("Hard to SET UP", "onboarding"));
        Assert.True(m.IsIn("great", ThemeMatcher.Other));
        Assert.False(m.IsIn("great", "onboarding"));
    }

    [Fact]
    public void Words_are_runs_of_letters_digits_and_apostrophes()
    {
        Assert.Equal(["don't", "like", "v2", "ça", "va"], ThemeMatcher.Words("Don't like v2 -- ÇA va"));
    }

    [Theory]
    [InlineData(0, "detractor")]
    [InlineData(6, "detractor")]
    [InlineData(7, "passive")]
    [InlineData(8, "passive")]
    [InlineData(9, "promoter")]
    [InlineData(10, "promoter")]
    public void Nps_categories(int score, string category) => Assert.Equal(category, NpsCategory.Of(score));
}
