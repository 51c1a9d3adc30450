"""Tiny datasets written in the exact on-disk format of each source (names, separators, headers, quoting,
line ends, encodings), built in ``tmp_path`` by the ``write_dataset`` fixture."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest


def _write(path: Path, text: str, *, newline: str = "\n", encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))


def movielens_csv(root: Path) -> Path:
    """latest-small layout: header rows, CRLF, UTF-8, quoted titles with commas and a doubled quote."""
    d = root / "ml-latest-small"
    _write(
        d / "ratings.csv",
        "userId,movieId,rating,timestamp\n"
        "1,1,4.0,964982703\n"
        "1,3,3.5,964981247\n"
        "1,11,5.0,964982703\n"
        "2,1,2.0,1445714994\n",
        newline="\r\n",
    )
    _write(
        d / "movies.csv",
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation\n"
        '3,"American President, The (1995)",Comedy|Drama|Romance\n'
        '11,"11\'09""01 - September 11 (2002)",Drama\n'
        '20,"Misérables, Les (1995)",(no genres listed)\n',
        newline="\r\n",
    )
    _write(
        d / "tags.csv",
        "userId,movieId,tag,timestamp\n"
        "2,1,pixar,1445714994\n"
        "3,1,fun,1445714995\n"
        "3,1,Pixar,1445714996\n"
        '4,1,"""artsy""",1445714997\n',
        newline="\r\n",
    )
    return d


def movielens_1m(root: Path) -> Path:
    """1M layout: ``::`` separators, no header, Latin-1 titles."""
    d = root / "ml-1m"
    _write(d / "ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n")
    _write(
        d / "movies.dat",
        "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        "2000::Misérables, Les (1995)::Drama\n",
        encoding="latin-1",
    )
    return d


def movielens_100k(root: Path) -> Path:
    """100K layout: tab-separated u.data, pipe-separated Latin-1 u.item with 19 genre flags."""
    d = root / "ml-100k"
    _write(d / "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t4\t881250940\n")
    flags_242 = ["0"] * 19
    flags_242[5] = "1"  # Comedy
    flags_302 = ["0"] * 19
    flags_302[6], flags_302[8] = "1", "1"  # Crime, Drama
    _write(
        d / "u.item",
        f"242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|{'|'.join(flags_242)}\n"
        f"302|L.A. Confidential (1997)|01-Jan-1997||http://us.imdb.com/x|{'|'.join(flags_302)}\n"
        f"303|Café au lait (1993)|01-Jan-1993||http://us.imdb.com/y|{'|'.join(['1'] + ['0'] * 18)}\n",
        encoding="latin-1",
    )
    return d


def otto(root: Path) -> Path:
    """JSON Lines, one session per line, ms timestamps, LF."""
    sessions = [
        {
            "session": 0,
            "events": [
                {"aid": 1517085, "ts": 1659304800025, "type": "clicks"},
                {"aid": 1563459, "ts": 1659304904511, "type": "carts"},
                {"aid": 305831, "ts": 1659370027105, "type": "orders"},
                {"aid": 461689, "ts": 1659370027105, "type": "orders"},
            ],
        },
        {"session": 12899779, "events": [{"aid": 59625, "ts": 1661724000278, "type": "clicks"}]},
    ]
    path = root / "otto" / "train.jsonl"
    _write(path, "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in sessions))
    return path


def lastfm(root: Path) -> Path:
    """HetRec files: tab-separated, header, no quoting; user_artists.dat CRLF, artists.dat LF UTF-8."""
    d = root / "hetrec2011-lastfm-2k"
    _write(
        d / "user_artists.dat",
        "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n2\t53\t11690\n2\t54\t20000\n3\t51\t5\n",
        newline="\r\n",
    )
    _write(
        d / "artists.dat",
        "id\tname\turl\tpictureURL\n"
        "51\tDuran Duran\thttp://www.last.fm/music/Duran+Duran\thttp://userserve-ak.last.fm/serve/252/155668.jpg\n"
        '52\tMorcheeba "live"\thttp://www.last.fm/music/Morcheeba\t\n'
        "53\tAir\thttp://www.last.fm/music/Air\thttp://userserve-ak.last.fm/serve/252/3.jpg\n"
        "54\tBjörk\thttp://www.last.fm/music/Bj%C3%B6rk\thttp://userserve-ak.last.fm/serve/252/4.jpg\n"
        "99\tNever Played\thttp://www.last.fm/music/x\t\n",
    )
    return d


def retailrocket(root: Path) -> Path:
    """Kaggle RetailRocket: comma-separated with headers, ms timestamps, empty transactionid."""
    d = root / "retailrocket"
    _write(
        d / "events.csv",
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n"
        "1433224214164,992329,view,248676,\n"
        "1433221999827,257597,addtocart,355908,\n"
        "1433222000000,257597,transaction,355908,4000\n"
        "1433221332117,257597,view,111,\n",
    )
    _write(
        d / "item_properties_part1.csv",
        "timestamp,itemid,property,value\n"
        "1435460400000,355908,categoryid,1338\n"
        "1441508400000,355908,available,1\n"
        "1439089200000,248676,790,n15360.000 n6.000\n",
    )
    _write(
        d / "item_properties_part2.csv",
        "timestamp,itemid,property,value\n"
        "1431226800000,248676,categoryid,213\n"
        "1431226800000,355908,categoryid,9\n"
        "1433041200000,500,categoryid,1016\n",
    )
    _write(d / "category_tree.csv", "categoryid,parentid\n1016,\n213,1016\n1338,213\n9,\n")
    return d


def rc15(root: Path) -> Path:
    """YooChoose .dat files: comma-separated, no header, ISO-8601 timestamps with ms and Z."""
    d = root / "yoochoose-data"
    _write(
        d / "yoochoose-clicks.dat",
        "1,2014-04-07T10:51:09.277Z,214536502,0\n"
        "1,2014-04-07T10:54:09.868Z,214536500,0\n"
        "2,2014-04-07T13:56:37.614Z,214662742,S\n"
        "2,2014-04-07T13:57:19.373Z,214662742,2089187744\n"
        "2,2014-04-07T13:58:00.000Z,214825110,3\n"
        "3,2014-04-02T13:17:46.940Z,214757390,0\n",
    )
    _write(d / "yoochoose-buys.dat", "2,2014-04-07T13:57:19.373Z,214662742,1046,1\n")
    return d


def recbole(root: Path) -> Path:
    """RecBole atomic files as RecBole ships ml-100k: typed tab-separated headers, no quoting."""
    d = root / "ml-100k-atomic"
    _write(
        d / "ml-100k.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "196\t242\t3\t881250949\n"
        "186\t302\t3\t891717742\n"
        "196\t302\t4\t881250940\n"
        "196\t377\t1.5\t881250949\n",
    )
    _write(
        d / "ml-100k.item",
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "242\tKolya\t1996\tComedy\n"
        "302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery Thriller\n",
    )
    return d


def generic_csv(root: Path) -> Path:
    d = root / "generic"
    _write(
        d / "log.csv",
        "visitor,when_ms,sku,action\nu-b,1700000000999,A1,view\nu-a,1700000001000,B2,buy\nu-b,1699999999000,B2,view\n",
    )
    _write(d / "catalog.csv", 'sku,name,brand,colour\nA1,"Shoe, red",Acme,red\nB2,Hat,Hatco,\n')
    return d


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "movielens": movielens_csv,
    "movielens_1m": movielens_1m,
    "movielens_100k": movielens_100k,
    "otto": otto,
    "lastfm": lastfm,
    "retailrocket": retailrocket,
    "rc15": rc15,
    "recbole": recbole,
    "generic": generic_csv,
}


@pytest.fixture
def write_dataset(tmp_path: Path) -> Callable[[str], Path]:
    """``write_dataset(name)`` writes the tiny dataset ``name`` under ``tmp_path`` and returns its path."""
    return lambda name: BUILDERS[name](tmp_path)
