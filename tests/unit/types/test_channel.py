"""Channel parsing as conda does it: names, aliases, custom channels, multichannels, URLs, paths,
credentials that never leak into names or reprs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from naja.errors import ChannelError, NajaError
from naja.types.channel import (
    Channel,
    ChannelConfig,
    MultiChannel,
    resolve_channels,
)
from naja.types.url import is_path, redact_url

CF = "https://conda.anaconda.org/conda-forge"


def test_name_uses_channel_alias():
    c = Channel.from_string("conda-forge")
    assert c.base_url == CF
    assert c.name == c.canonical_name == "conda-forge"
    assert c.platforms is None and c.token is None and c.auth is None
    assert str(c) == CF
    assert c.subdir_url("linux-64") == CF + "/linux-64"


def test_subdirs_and_urls():
    c = Channel.from_string("conda-forge")
    assert c.subdirs("osx-arm64") == ("osx-arm64", "noarch")
    assert c.subdirs("noarch") == ("noarch",)
    assert c.urls("linux-64") == [CF + "/linux-64", CF + "/noarch"]


def test_subdirs_default_to_current_platform(monkeypatch):
    monkeypatch.setenv("CONDA_SUBDIR", "win-64")
    assert Channel.from_string("conda-forge").subdirs() == ("win-64", "noarch")


def test_label_channel():
    c = Channel.from_string("conda-forge/label/dev")
    assert c.base_url == CF + "/label/dev"
    assert c.name == c.canonical_name == "conda-forge/label/dev"


def test_subdir_suffix_becomes_platforms():
    c = Channel.from_string("conda-forge/linux-64")
    assert c.base_url == CF
    assert c.platforms == ("linux-64",)
    assert c.subdirs("osx-64") == ("linux-64",)
    url = Channel.from_string(CF + "/noarch/")
    assert url.base_url == CF and url.platforms == ("noarch",)
    assert url.canonical_name == "conda-forge"


def test_bracket_platforms():
    c = Channel.from_string("conda-forge[linux-64, noarch]")
    assert c.base_url == CF
    assert c.platforms == ("linux-64", "noarch")
    with pytest.raises(ChannelError, match="unknown platform"):
        Channel.from_string("conda-forge[linux-99]")


def test_url_under_alias_gets_short_canonical_name():
    c = Channel.from_string("https://conda.anaconda.org/bioconda/")
    assert c.base_url == "https://conda.anaconda.org/bioconda"
    assert c.canonical_name == "bioconda"
    assert c == Channel.from_string("bioconda")
    assert hash(c) == hash(Channel.from_string("bioconda"))


def test_unknown_url_canonical_name_is_url():
    c = Channel.from_string("https://example.com/some/path/chan")
    assert c.canonical_name == "https://example.com/some/path/chan"
    assert c.name == "chan"


def test_token_is_kept_for_fetching_but_never_shown():
    c = Channel.from_string("https://conda.anaconda.org/t/tk-123-xyz/conda-forge/linux-64")
    assert c.token == "tk-123-xyz"
    assert c.base_url == CF
    assert c.name == c.canonical_name == "conda-forge"
    assert c.platforms == ("linux-64",)
    assert c.subdir_url("noarch") == "https://conda.anaconda.org/t/tk-123-xyz/conda-forge/noarch"
    for shown in (c.base_url, str(c), repr(c), c.name, c.canonical_name, *c.urls("linux-64")):
        assert "tk-123-xyz" not in shown
    assert c == Channel.from_string("conda-forge")


def test_basic_auth_is_kept_for_fetching_but_never_shown():
    c = Channel.from_string("https://alice:s3cret@private.example.org/chan")
    assert c.auth == "alice:s3cret"
    assert c.base_url == "https://private.example.org/chan"
    assert c.subdir_url("linux-64") == "https://alice:s3cret@private.example.org/chan/linux-64"
    for shown in (c.base_url, str(c), repr(c), c.name, c.canonical_name):
        assert "s3cret" not in shown and "alice" not in shown


def test_token_and_auth_together():
    c = Channel.from_string("https://bob:pw@host.org:8443/t/TOKEN/a/b")
    assert c.base_url == "https://host.org:8443/a/b"
    assert c.subdir_url("osx-64") == "https://bob:pw@host.org:8443/t/TOKEN/a/b/osx-64"


def test_defaults_is_a_multichannel():
    d = Channel.from_string("defaults")
    assert isinstance(d, MultiChannel)
    assert d.base_urls[:2] == ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
    assert all(ch.canonical_name == "defaults" for ch in d.channels)
    assert d.matches("https://repo.anaconda.com/pkgs/main")
    assert not d.matches(CF)


def test_pkgs_main_resolves_on_repo_anaconda():
    c = Channel.from_string("pkgs/main")
    assert c.base_url == "https://repo.anaconda.com/pkgs/main"
    assert c.name == "pkgs/main"
    assert c.canonical_name == "defaults"


def test_custom_default_channels():
    cfg = ChannelConfig(default_channels=["https://mirror.example.com/anaconda/pkgs/main", "conda-forge"])
    d = Channel.from_string("defaults", cfg)
    assert d.base_urls == ("https://mirror.example.com/anaconda/pkgs/main", CF)
    assert (
        Channel.from_string("https://mirror.example.com/anaconda/pkgs/main", cfg).canonical_name == "defaults"
    )


def test_channel_alias():
    cfg = ChannelConfig(channel_alias="https://mirror.example.com/conda/")
    c = Channel.from_string("conda-forge", cfg)
    assert c.base_url == "https://mirror.example.com/conda/conda-forge"
    assert c.canonical_name == "conda-forge"
    # and back: a URL under the alias gets its short name
    assert Channel.from_string("https://mirror.example.com/conda/bioconda", cfg).canonical_name == "bioconda"
    # conda.anaconda.org is now just another URL
    assert Channel.from_string(CF, cfg).canonical_name == CF


def test_channel_alias_with_credentials():
    cfg = ChannelConfig(channel_alias="https://u:p@mirror.example.com/t/ALIAS_TOK")
    c = Channel.from_string("conda-forge", cfg)
    assert c.base_url == "https://mirror.example.com/conda-forge"
    assert c.subdir_url("noarch") == "https://u:p@mirror.example.com/t/ALIAS_TOK/conda-forge/noarch"
    assert "ALIAS_TOK" not in repr(c)


def test_custom_channels_append_name_like_conda():
    cfg = ChannelConfig(
        custom_channels={
            "internal": "https://pkgs.corp.example/",
            "exact": "https://pkgs.corp.example/some/exact",
        }
    )
    c = Channel.from_string("internal", cfg)
    assert c.base_url == "https://pkgs.corp.example/internal"
    assert c.canonical_name == "internal"
    label = Channel.from_string("internal/label/beta", cfg)
    assert label.base_url == "https://pkgs.corp.example/internal/label/beta"
    assert label.canonical_name == "internal/label/beta"
    assert Channel.from_string("exact", cfg).base_url == "https://pkgs.corp.example/some/exact"
    # reverse lookup from URL
    assert Channel.from_string("https://pkgs.corp.example/internal", cfg).canonical_name == "internal"
    # other names still go through the alias
    assert Channel.from_string("conda-forge", cfg).base_url == CF


def test_custom_multichannels():
    cfg = ChannelConfig(custom_multichannels={"mine": ["conda-forge", "https://example.org/extra"]})
    m = Channel.from_string("mine", cfg)
    assert isinstance(m, MultiChannel)
    assert m.base_urls == (CF, "https://example.org/extra")
    assert Channel.from_string("https://example.org/extra", cfg).canonical_name == "mine"


def test_resolve_channels_expands_and_dedups():
    chans = resolve_channels(["conda-forge", "defaults", CF, "bioconda"])
    assert [c.base_url for c in chans] == [
        CF,
        *Channel.from_string("defaults").base_urls,
        "https://conda.anaconda.org/bioconda",
    ]


def test_local_absolute_path(tmp_path: Path):
    c = Channel.from_string(str(tmp_path))
    assert c.base_url == tmp_path.as_uri()
    assert c.canonical_name == tmp_path.as_uri()
    assert c.name == tmp_path.name
    assert c.is_local
    assert c.subdir_url("noarch") == tmp_path.as_uri() + "/noarch"
    assert Channel.from_string(tmp_path.as_uri()) == c


def test_local_relative_and_home_paths(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rel = Channel.from_string("./chan")
    assert rel.base_url == (tmp_path / "chan").as_uri()
    monkeypatch.chdir(tmp_path.parent)
    assert Channel.from_string("./chan").base_url == (tmp_path.parent / "chan").as_uri()
    home = Path(os.environ["HOME"])
    assert Channel.from_string("~/mychan").base_url == (home / "mychan").as_uri()


def test_file_url_with_subdir_and_package():
    c = Channel.from_string("file:///srv/chan/linux-64/pkg-1.0-0.conda")
    assert c.base_url == "file:///srv/chan"
    assert c.platforms == ("linux-64",)
    assert c.package_filename == "pkg-1.0-0.conda"
    t = Channel.from_string("https://conda.anaconda.org/conda-forge/noarch/x-1-0.tar.bz2")
    assert (t.base_url, t.platforms, t.package_filename) == (CF, ("noarch",), "x-1-0.tar.bz2")


def test_matches_record_channel():
    c = Channel.from_string("conda-forge")
    assert c.matches(CF)
    assert c.matches("conda-forge")
    assert c.matches("https://conda.anaconda.org/t/xyz/conda-forge")
    assert not c.matches("https://conda.anaconda.org/bioconda")
    assert not c.matches("")
    sub = Channel.from_string("conda-forge/linux-64")
    assert sub.matches(CF, subdir="linux-64")
    assert not sub.matches(CF, subdir="noarch")


@pytest.mark.parametrize("bad", ["", "   ", "conda forge", "/"])
def test_invalid_channels(bad):
    with pytest.raises(NajaError):
        Channel.from_string(bad)


def test_is_path():
    assert is_path("/abs") and is_path("./rel") and is_path("../up") and is_path("~/h")
    assert is_path("C:\\chan") and is_path("D:/chan")
    assert not is_path("conda-forge") and not is_path("conda-forge/label/x")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://conda.anaconda.org/t/abc-123/conda-forge",
            "https://conda.anaconda.org/t/*****/conda-forge",
        ),
        ("https://u:secret@h.org/x/repodata.json", "https://u:*****@h.org/x/repodata.json"),
        ("https://u:pw@h.org/t/tok/x", "https://u:*****@h.org/t/*****/x"),
        ("https://user@h.org/x", "https://user@h.org/x"),
        ("https://h.org/x", "https://h.org/x"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_config_equality_and_parse_cache():
    a = ChannelConfig(custom_channels={"x": "https://a.org"})
    b = ChannelConfig(custom_channels={"x": "https://a.org"})
    assert a == b and hash(a) == hash(b)
    assert a != ChannelConfig()
    assert Channel.from_string("x", a).base_url == "https://a.org/x"
    assert Channel.from_string("x").base_url == "https://conda.anaconda.org/x"


def test_channels_pickle_and_stay_immutable():
    import pickle

    c = Channel.from_string("https://u:pw@conda.anaconda.org/t/TOK/conda-forge/linux-64")
    back = pickle.loads(pickle.dumps(c))
    assert back == c and back.platforms == c.platforms and back.subdir_url("noarch") == c.subdir_url("noarch")
    with pytest.raises(AttributeError):
        c.name = "x"  # type: ignore[misc]


def test_channel_config_repr_hides_credentials():
    cfg = ChannelConfig(
        channel_alias="https://u:pw@h.org/t/SECRET", custom_channels={"x": "https://h.org/t/SEC2"}
    )
    assert "SECRET" not in repr(cfg) and "SEC2" not in repr(cfg) and "pw" not in repr(cfg)


def test_match_spec_channel_read_under_the_given_config():
    """No module-level default: a spec's ``channel::`` part is named and matched under the channel
    settings it is given, and under conda's defaults otherwise."""
    from naja.types.match_spec import MatchSpec
    from naja.types.records import PackageRecord

    cfg = ChannelConfig(channel_alias="https://mirror.example.org",
                        custom_channels={"mychan": "http://127.0.0.1:9"})
    rec = PackageRecord(name="tool", version="1", channel="http://127.0.0.1:9/mychan", subdir="noarch")
    assert MatchSpec("mychan::tool", channel_config=cfg).match(rec)
    assert not MatchSpec("mychan::tool").match(rec)
    mirrored = PackageRecord(name="tool", version="1", channel="https://mirror.example.org/conda-forge")
    assert MatchSpec("conda-forge::tool", channel_config=cfg).match(mirrored)
    assert not MatchSpec("conda-forge::tool").match(mirrored)
    # the config travels with copies and merges, and the cached default parse is untouched
    assert MatchSpec(MatchSpec("mychan::tool", channel_config=cfg)).match(rec)
    assert MatchSpec.merge(["mychan::tool", "tool>=1"])[0].match(rec) is False
    assert Channel.from_string("conda-forge").base_url == CF


def test_multichannel_with_subdir_and_cycles():
    d = Channel.from_string("defaults/linux-64")
    assert isinstance(d, MultiChannel)
    assert d.platforms == ("linux-64",)
    assert all(c.platforms == ("linux-64",) for c in d.channels)
    cfg = ChannelConfig(custom_multichannels={"loop": ["conda-forge", "loop"]})
    with pytest.raises(ChannelError, match="contains itself"):
        Channel.from_string("loop", cfg)


def test_alias_without_scheme_means_https():
    cfg = ChannelConfig(channel_alias="mirror.example.org/conda")
    assert Channel.from_string("x", cfg).base_url == "https://mirror.example.org/conda/x"
