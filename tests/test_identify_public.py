"""Identification on real public answers in the forms people paste and tools store (issue 9's input classes).

Each case is a device's answer (or a tool's rendering of it) quoted from a public source, with the maker
camaudit must name (None: it must name none) and whether that may be "certain". None of these is an
evaluation-corpus item (tests/evaluation/test_kept_apart.py checks it); where a case trims or edits the
quoted text, its note says how.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from camaudit.identify.pipeline import Identifier
from camaudit.model import Observation

IDENTIFIER = Identifier.default()
_MSF_7921 = ("https://github.com/rapid7/metasploit-framework/blob/068f7671d6178ce50c8145170c1e72a37b72fde3/"
             "modules/auxiliary/gather/hikvision_info_disclosure_cve_2017_7921.rb")
_HIK_DISPATCH = ("https://github.com/github188/HikvisionPlayback/blob/6562d1df4f5a5069b84325040b1a32df5d56fbff/"
                 "home/dispatch.asp")
_GREENBONE_DAHUA = ("https://github.com/mageni/mageni/blob/7390c981062be6b59bb73a445d32a6a5fc805ae5/backend/plugins/"
                    "gb_dahua_devices_http_detect.nasl")
_CAMERADAR_199 = "https://github.com/Ullaakut/cameradar/issues/199"
_ZTAG = "https://github.com/zmap/ztag/blob/137b754dfe22b7d6e0945ae33def372ec67d092b/ztag/annotations/"
_DAHUA_RPC_README = "https://github.com/ItsNotGoodName/dahua-rpc/blob/8e2c7211e2f537bb086edb1c313a6acf716f40d7/README.md"
_DAHUA_CLIENT = ("https://github.com/rroller/dahua/blob/c2b8b41c98856af457721f2523bd6a2f37588b15/"
                 "custom_components/dahua/client.py")
_NMAP_PROBES = "https://github.com/nmap/nmap/blob/db4aefddfa348ec815ffa83a109c97e05db88766/nmap-service-probes"


@dataclass(frozen=True)
class Case:
    id: str
    records: tuple[tuple[str, str], ...]  # (protocol, response)
    maker: str | None
    certain: bool | None  # None: either
    source: str
    note: str = ""


CASES = [
    # --- ONVIF GetDeviceInformation as tools print it ------------------------------------------------------
    Case("onvif-cli-hikvision-ptz",
         (("other", "True: {'Model': DS-2DF7286-A, 'SerialNumber': DS-2DF7286-A20140705CCWR471699220B, "
                    "'HardwareId': 88, 'FirmwareVersion': V5.1.8 build 140616, 'Manufacturer': HIKVISION}"),),
         "Hikvision", None, "https://github.com/evercam/evercam-server/issues/10",
         "python-onvif's onvif-cli output, values unquoted"),
    Case("onvif-cli-serial-only-names-the-model",
         (("other", "True: {'SerialNumber': DS-2DF7286-A20140705CCWR471699220B, 'HardwareId': 88, "
                    "'FirmwareVersion': V5.1.8 build 140616, 'Manufacturer': IPCAM, 'Model': IPCAM}"),),
         "Hikvision", False, "https://github.com/evercam/evercam-server/issues/10",
         "the same answer with Manufacturer and Model replaced by the generic IPCAM an OEM build may give: the "
         "serial's leading model is read by the model grammars"),
    Case("ha-onvif-deviceinfo-unknown-maker",
         (("other", "2021-12-28 09:10:45 DEBUG (MainThread) [onvif] Camera Garage info = DeviceInfo("
                    "manufacturer='EYEPLUS', model='EYEPLUS_DEV', fw_version='5.6.1.1127', serial_number="
                    "'12345679890', mac='41a0bc:41a0bd:41a0be:41a0bf:41a0c0:41a0c1')"),),
         None, None, "https://github.com/home-assistant/core/issues/63399"),
    # --- camera/VMS makers whose answers name them only in their own spelling (vmsmakers) --------------------
    Case("ubnt-streaming-server-names-ubiquiti",
         (("http_header", "HTTP/1.0 200 OK\r\nServer: UBNT Streaming Server v1.2\r\n\r\n"),),
         "Ubiquiti", False,
         "https://github.com/codarrenvelvindron/codarrenvelvindron.github.io",
         "the Server value a post ('Day 7: Shodan an IoT search engine') searches for to find UBNT IP cameras; "
         "UBNT is Ubiquiti's short name (makers.yaml); the status line is added"),
    Case("slinger-server-names-no-maker",
         (("http_header", "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: Slinger/1.0\r\n\r\n"),),
         None, None, "https://github.com/nmap/nmap/blob/db4aefddfa348ec815ffa83a109c97e05db88766/nmap-service-probes",
         "nmap reads 'Server: Slinger/' as a Panasonic DVR (line 8265) and 'Server: Slinger 1.0' on Zebra printers "
         "(line 10181): an embedded server more than one maker ships, so it names none; version and date filled in"),
    Case("lower-case-avtech-server-on-a-router-names-no-maker",
         (("http_header",
           "HTTP/1.0 401 Unauthorized\r\nServer: avtech/1.0\r\nWWW-Authenticate: Basic realm=server\r\n\r\n"),),
         None, None, "https://github.com/nmap/nmap/blob/db4aefddfa348ec815ffa83a109c97e05db88766/nmap-service-probes",
         "nmap line 9197 reads 'avtech/' in lower case as an 'avtech httpd' on a Postef-8840 ADSL router, not AVTECH's "
         "cameras (whose UPnP Server token is 'Avtech/', lines 9626 and 10842); the version filled in"),
    Case("avtech-upnp-server-token-names-avtech",
         (("http_header", "HTTP/1.1 200 OK\r\nServer: Linux/2.x UPnP/1.0 Avtech/1.0\r\nConnection: close\r\n\r\n"),),
         "AVTECH", False, "https://github.com/nmap/nmap/blob/db4aefddfa348ec815ffa83a109c97e05db88766/nmap-service-probes",
         "nmap line 9626 (Avtech AVN801 network camera); the versions filled in"),
    # --- WS-Discovery scopes as devices send them and tools list them: a name, never more than probable -------
    Case("dahua-hello-scopes-name-the-maker",
         (("ws_discovery", "<d:Scopes>onvif://www.onvif.org/location/country/china onvif://www.onvif.org/name/Dahua "
                           "onvif://www.onvif.org/hardware/IPC-HFW2228M-I1-V2 onvif://www.onvif.org/Profile/Streaming "
                           "onvif://www.onvif.org/type/Network_Video_Transmitter "
                           "onvif://www.onvif.org/extension/unique_identifier</d:Scopes>"),),
         "Dahua", False,
         "https://github.com/cogini/onvif/blob/e853bc14c1004a7726ef03983ba703305dc25d7d/lib/onvif/discovery.ex",
         "the Scopes element of the Hello message quoted in the module's comments"),
    Case("vigi-wsdiscover-listing",
         (("ws_discovery", " address: 192.168.202.92:2020\n  - onvif://www.onvif.org/name/VIGI-C350\n"
                           "  - onvif://www.onvif.org/hardware/VIGI-C350\n  - onvif://www.onvif.org/Profile/Streaming\n"
                           "  - onvif://www.onvif.org/Profile/G\n  - onvif://www.onvif.org/Profile/T\n"
                           "  - onvif://www.onvif.org/location/Hong Kong\n"
                           "  - onvif://www.onvif.org/type/NetworkVideoTransmitter\n"),),
         "TP-Link", False, "https://github.com/andreikop/python-ws-discovery/issues/56",
         "one camera of wsdiscover's listing; VIGI is TP-Link's business line (model.tplink.vigi)"),
    Case("tapo-c720-wsdiscover-listing-names-no-maker",
         (("ws_discovery", "Discovered:\n\n address: 192.168.56.109:2020\n  - onvif://www.onvif.org/name/C720\n"
                           "  - onvif://www.onvif.org/hardware/C720\n  - onvif://www.onvif.org/Profile/Streaming\n"
                           "  - onvif://www.onvif.org/location/Hong Kong\n"
                           "  - onvif://www.onvif.org/type/NetworkVideoTransmitter\n"),),
         None, None, "https://github.com/JurajNyiri/HomeAssistant-Tapo-Control/issues/790",
         "a bare C-number is no distinctive model; the second camera of the listing is left out"),
    Case("generic-nvt-wsdiscover-listing-names-no-maker",
         (("ws_discovery", " address: 192.168.202.77:8899\n  - onvif://www.onvif.org/type/video_encoder\n"
                           "  - onvif://www.onvif.org/type/audio_encoder\n  - onvif://www.onvif.org/hardware/IPC-model\n"
                           "  - onvif://www.onvif.org/location/country/china\n  - onvif://www.onvif.org/name/NVT\n"),),
         None, None, "https://github.com/andreikop/python-ws-discovery/issues/56",
         "the listing's no-name unit, cut where the issue's excerpt of it ends"),
    Case("flir-scopes-name-a-disputed-label",
         (("ws_discovery", "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/type/audio_encoder "
                           "onvif://www.onvif.org/hardware/CM-6204-11-I onvif://www.onvif.org/Profile/Streaming "
                           "onvif://www.onvif.org/Profile/G "
                           "onvif://www.onvif.org/name/FLIR%20CM-6204-11-I%20K816600858 "
                           "onvif://www.onvif.org/manufacturer/FLIR%20Systems onvif://www.onvif.org/manufacturer/DVTel "
                           "dvtel://www.dvtel.com/quasar/gen2/quadhd flir://www.flir.com/security/"),),
         None, None, "https://github.com/vicmaeg/onvif-discovery/issues/17",
         "every statement names FLIR, a label brands.yaml calls disputed (its Lorex-era products were Dahua OEM): "
         "the maker stays unknown rather than guessed"),
    Case("zmonvif-probe-herospeed-names-no-known-maker",
         (("other", "http://192.168.1.82:8999/onvif/device_service, 1.2, (type='NetworkVideoTransmitter', "
                    "type='video_encoder', type='audio_encoder', hardware='HeroSpeed', name='HeroSpeed', "
                    "manufacturer='HeroSpeed')"),),
         None, None, "https://github.com/ZoneMinder/zoneminder/pull/1645",
         "zmonvif-probe's printed scopes; HeroSpeed is in no catalogue"),
    Case("zmonvif-probe-hd-ipc-names-no-maker",
         (("other", "http://192.168.1.221/onvif/device_service, 1.1, (type='Network_Video_Transmitter', "
                    "type='video_encoder', type='audio_encoder', type='ptz', b='jovision', hardware='NVT-HI3516CS', "
                    "name='HD%20IPC')"),),
         None, None, "https://github.com/ZoneMinder/zoneminder/pull/1410",
         "a HiSilicon board's generic names; the non-standard b='jovision' scope is not read"),
    Case("zmonvif-probe-ipcam-names-no-maker",
         (("other", "http://192.168.1.153:8080/onvif/devices, 1.2, (Profile='Streaming', model='C6F0SeZ0N0P0L0', "
                    "name='IPCAM', location/country='china')"),),
         None, None, "https://github.com/ZoneMinder/zoneminder/pull/1410"),
    # --- Dahua magicBox.cgi answers (the docstrings of rroller/dahua's client quote them) -----------------------
    Case("magicbox-getdevicetype",
         (("dahua_cgi", "type=IPC-HDW5831R-ZE\r\n"),), "Dahua", None, _DAHUA_CLIENT,
         "one line naming a Dahua H-series model: the model grammar names the maker"),
    Case("magicbox-getdevicetype-class-only",
         (("dahua_cgi", "type=IP Camera\r\n"),), None, None, _DAHUA_CLIENT,
         "some cameras answer the class, which names nothing"),
    Case("magicbox-getsysteminfo-as-pasted",
         (("other", "appAutoStart=true\ndeviceType=IPC-HDW5831R-ZE\nhardwareVersion=1.00\nprocessor=S3LM\n"
                    "serialNumber=4X7C5A1ZAG21L3F\nupdateSerial=IPC-HDW5830R-Z\n"),),
         "Dahua", None, _DAHUA_CLIENT, "without its updateSerialCloudUpgrade line, pasted as text"),
    Case("magicbox-class-and-version",
         (("dahua_cgi", "type=IP Camera\r\n"), ("dahua_cgi", "version=2.800.0000016.0.R,build:2020-06-05\r\n")),
         "Dahua", None, _DAHUA_CLIENT),
    # --- Dahua-family answers from issue threads and tools (issue 9) ------------------------------------------
    Case("dahua-cgi-basic-device-cgi-realm",
         (("http_header", 'HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Basic realm="Device_CGI"\n'),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/583",
         "an IPC-HFW4300S-V2 on 2014 firmware, the two lines curl --digest printed"),
    Case("dahua-nvr-certificate-as-curl-prints-it",
         (("tls_cert", "*  subject: CN=192.168.20.92; C=CN\n*  start date: Aug  5 11:29:38 2024 GMT\n"
                       "*  expire date: Jul 30 11:29:38 2054 GMT\n*  issuer: CN=NVR; C=CN; ST=Zhejiang; L=Hangzhou; "
                       "O=ZheJiang Dahua Technology CO.,LTD.; OU=NVR\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/647", "curl -v's server certificate lines"),
    Case("dahua-nvr-certificate-as-nmap-elements",
         (("tls_cert", "ssl-cert\nSubject\n    CN: 192.168.2.70\n    Country: CN\nIssuer\n"
                       "    CN: Dahua\\xC2\\xA0Device\\xC2\\xA0NVR\\xC2\\xA0CA\n"
                       "    Org: Zhejiang\\xC2\\xA0Dahua\\xC2\\xA0Technology\\xC2\\xA0Co.,Ltd.\n    State: Zhejiang\n"
                       "    Locality: Hangzhou\n    Country: CN\n"),),
         "Dahua", False, "https://github.com/D4-project/Plum-Island/issues/204"),
    Case("dahua-nvr-issuer-block-alone",
         (("tls_cert", "Issuer\n    CN: Dahua\\xC2\\xA0Device\\xC2\\xA0NVR\\xC2\\xA0CA\n"
                       "    Org: Zhejiang\\xC2\\xA0Dahua\\xC2\\xA0Technology\\xC2\\xA0Co.,Ltd.\n"),),
         "Dahua", False, "https://github.com/D4-project/Plum-Island/issues/204",
         "the issuer block of the listing above alone (the example of the Dahua-only rule the heading reader "
         "replaced): the device CA's organisation, resolved through the maker catalogue"),
    Case("openssl-ca-subject-block-names-a-person",
         (("tls_cert", "Certificate Details:\n        Serial Number: 4285 (0x10bd)\n        Validity\n"
                       "            Not Before: Oct  1 08:06:49 2018 GMT\n"
                       "            Not After : Jan  6 08:06:49 2029 GMT\n        Subject:\n"
                       "            commonName                = Jingtao Yan\n"),),
         None, None, "https://github.com/nextcloud/app-certificate-requests/pull/189",
         "openssl ca's multiline subject of an app-signing request: read, and it names no maker"),
    Case("dahua-web-server-upper-case-head",
         (("http_header", 'CONNECTION: keep-alive\nDate: Thu, 20 Aug 2026 19:53:42 GMT\nLast-Modified: Fri, 05 Jun '
                          '2026 09:23:27 GMT\nEtag: "1780651407:298f"\nCONTENT-LENGTH: 10639\n'
                          'CACHE-CONTROL: max-age=0\nP3P: CP=CAO PSA OUR\nX-Frame-Options: SAMEORIGIN\n'
                          'CONTENT-TYPE: text/html\n'),),
         "Dahua", False, "https://github.com/D4-project/Plum-Island/issues/204",
         "nmap's http-headers output for the same NVR, some security headers left out"),
    Case("the-same-headers-in-ordinary-case-name-nothing",
         (("http_header", 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 10639\r\n'
                          'Cache-Control: max-age=0\r\nContent-Type: text/html\r\n\r\n'),),
         None, None, "https://github.com/D4-project/Plum-Island/issues/204",
         "synthetic: the head above as any web server writes it"),
    Case("imou-dhip-challenge-16-hex-serial",
         (("dhip", '{"result":false,"params":{"realm":"Login to 907F3C6C73FEDA77","random":"1f1e4fbc-858a-47c8-8a50-'
                   'cb9310ad48cb","encryption":"Default"},"error":{"code":268632079,"message":"Component error: login '
                   'challenge!"},"id":0,"session":2869194125}'),),
         "Dahua", None, "https://github.com/rroller/dahua/issues/6", "an Imou Ranger 2's DHIP answer on port 80"),
    Case("imou-rpc2-challenge-as-an-http-body",
         (("http_body", '{"result":false,"params":{"realm":"Login to 907F3C6C73FEDA77","random":"1f1e4fbc-858a-47c8-'
                        '8a50-cb9310ad48cb","encryption":"Default"},"error":{"code":268632079,"message":"Component '
                        'error: login challenge!"},"id":0,"session":2869194125}'),),
         "Dahua", None, "https://github.com/rroller/dahua/issues/6",
         "the same challenge JSON, as RPC2_Login answers it over HTTP"),
    Case("dahua-api-document-dh-mac-realm",
         (("http_header", 'HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Digest realm="DH_00408CA5EA04",\n'
                          'nonce="000562fdY631973ef04f77a3ede7c1832ff48720ef95ad", stale=FALSE, qop="auth"\n'),),
         "Dahua", False, "https://qna.habr.com/q/1119156", "the Dahua HTTP API's example challenge, as quoted"),
    Case("go2rtc-producer-json-with-a-dahua-sdp",
         (("other", '"sdp": "v=0\\r\\no=- 2229913047 2229913047 IN IP4 0.0.0.0\\r\\ns=Media Server\\r\\nc=IN IP4 '
                    '0.0.0.0\\r\\nt=0 0\\r\\na=control:*\\r\\na=packetization-supported:DH\\r\\na=rtppayload-supported:'
                    'DH\\r\\na=range:npt=now-\\r\\na=x-summary:Oversea\\r\\nm=video 0 RTP/AVP 98\\r\\n",'),),
         "Dahua", False, "https://github.com/blakeblackshear/frigate/issues/16026",
         "go2rtc's producers JSON for a Dahua C5A, its sdp string cut after the first media line"),
    Case("amcrest-doorbell-cgi-error-body",
         (("http_body", "Error\nBad Request!\n"),), "Dahua", False,
         "https://github.com/dchesterton/amcrest2mqtt/issues/17",
         "an Amcrest AD110's refusal, as the browser showed it"),
    Case("an-error-page-is-not-dahua-s-cgi-error",
         (("http_body", "<html><body><h1>Error</h1>\n<p>Bad Request!</p></body></html>"),), None, None,
         "https://github.com/dchesterton/amcrest2mqtt/issues/17", "synthetic: the words inside an HTML page"),
    Case("lorex-doorbell-rtsp-realm",
         (("rtsp", 'RTSP/1.0 401 Unauthorized\r\nCSeq: 6\r\nWWW-Authenticate: Digest realm="Login to ND032206020280", '
                   'nonce="59f4ad51acdb0868f7a168649bbf7608"\r\n\r\n'),),
         "Dahua", False, "https://github.com/AlexxIT/go2rtc/issues/1594",
         "the realm go2rtc's trace quotes in its Authorization lines, as the 401 that carried it"),
    Case("cp-plus-dvr-title",
         (("http_body", "<html> \r\n<head>\r\n<title>CPPLUS DVR \u2013Web View</title>\r\n"),), "Dahua", False,
         "https://github.com/nmap/nmap/blob/db4aefddfa348ec815ffa83a109c97e05db88766/nmap-service-probes#L10157",
         "the title nmap's CP Plus DVR fingerprint reads: a label that covers some models, so probable"),
    Case("dahua-rtsp-realm-of-32-hex-digits",
         (("rtsp", 'RTSP/1.0 401 Unauthorized\nCSeq: 2\nWWW-Authenticate: Digest realm="Login to '
                   'be8c87b7ecbc1c2c89f8b4da109a4f78", nonce="1ae117ce84194f06b41c1557c008dc31"\n'),
          ("rtsp", "RTSP/1.0 200 OK\nCSeq: 3\nServer: Rtsp Server/3.0\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, SETUP, "
                   "PLAY, RECORD, PAUSE, TEARDOWN, SET_PARAMETER, GET_PARAMETER\n")),
         "Dahua", False, "https://blog.csdn.net/BeanGuohui/article/details/121969076",
         "a Dahua camera's 401 and 200 to OPTIONS, as the post quotes them (one kind of evidence: RTSP)"),
    Case("dahua-rtsp-basic-realm-dahuartsp",
         (("rtsp", 'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm="DahuaRtsp"\r\n\r\n'),),
         "Dahua", False,
         "https://github.com/qweasader/gbn/blob/95fd36bf6b83164c151c3c9367cd66ef81b1a88b/gb_rtsp_os_detection.nasl",
         "the challenge Greenbone's RTSP OS detection reads, framed as a 401"),
    Case("dahua-web-version-page-pasted",
         (("other", "Device Type: IPC-HFW2220R-ZS-IRE6\nSoftware Version: 2.400.0000.28.R, Build Date: 2016-03-29\n"
                    "WEB Version: 3.2.1.334978\nONVIF Version: 2.4.2\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/407", "the reporter's copy of the version page"),
    Case("dahua-console-remote-model",
         (("other", "[*] Remote Model: DHI-VTH5422HW, Class: VTH, Time: 1970-01-01 01:47:18\n"),),
         "Dahua", False, "https://github.com/mcw0/DahuaConsole/issues/35"),
    Case("amcrest-later-oem-field-in-getsoftwareversion",
         (("dahua_cgi", "version=2.620.00AC000.3.R\r\nbuild:2019-09-19\r\n"),),
         "Dahua", None, "https://github.com/tchellomello/python-amcrest/issues/172",
         "python-amcrest's software_information tuple written back as the CGI's lines"),
    Case("a-version-of-another-numbering-names-nothing",
         (("other", "Device Type: NC-200\nSoftware Version: 1.2.40.R, Build Date: 2016-03-29\n"),),
         None, None, "https://github.com/rroller/dahua/issues/407",
         "synthetic: the version page's layout with a version in no maker's numbering"),
    Case("a-word-of-capitals-is-not-a-serial",
         (("http_header", 'HTTP/1.1 401 Unauthorized\r\n'
                          'WWW-Authenticate: Basic realm="Login to CONFIGURATIONPAGE"\r\n'),),
         None, None, "https://github.com/rroller/dahua/issues/6", "synthetic: a 16-letter word where the serial goes"),
    # --- makers other than Hikvision and Dahua (issue 9) ----------------------------------------------------------
    Case("hanwha-rtsp-401-ipolis-realm",
         (("rtsp", 'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nDate: Thu, 23 May 2019 02:55:10 GMT\r\n'
                   'Expires: Thu, 23 May 2019 02:55:10 GMT\r\nCache-Control: must-revalidate\r\n'
                   'WWW-Authenticate: Digest realm="iPOLiS", nonce="2CB39FCBBE5843DA3430129B4EA1414C"\r\n\r\n'),),
         "Hanwha Vision", False, _CAMERADAR_199, "curl's trace of the DESCRIBE refusal, without its \"< \" marks"),
    Case("hanwha-describe-profile-media-smp",
         (("rtsp", "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://admin:SuperSecret@10.132.250.29:554/profile2/"
                   "media.smp\r\nContent-Type: application/sdp\r\nContent-Length: 676\r\n\r\nv=0\r\n"
                   "o=- 0 0 IN IP4 10.56.30.17\r\ns=Media Presentation\r\ni=samsung\r\nc=IN IP4 0.0.0.0\r\n"
                   "b=AS:2632\r\nt=0 0\r\na=control:rtsp://admin:SuperSecret@10.132.250.29:554/profile2/media.smp\r\n"),),
         "Hanwha Vision", False, _CAMERADAR_199,
         "the authorised DESCRIBE answer's first lines (some headers left out): its 'Media Presentation' session "
         "without e=NONE is not Hikvision's, and its /profileN/media.smp path is the one cameradar asked for, which "
         "a lenient device echoes back (curl#7323 shows a Hipcam doing so); what names Samsung Techwin's (Hanwha's) "
         "firmware is the session name with 'i=samsung' after it (rtsp.hanwha.sdp-samsung-information), probable"),
    Case("foscam-describe-ip-camera-video-session",
         (("rtsp", "RTSP/1.0 200 OK\r\nCSeq: 2\r\nDate: Fri, Sep 30 2016 18:42:57 GMT\r\nContent-Base: "
                   "rtsp://192.xxx.xxx.21:65534/videoMain/\r\nContent-Type: application/sdp\r\nContent-Length: 502\r\n"
                   "\r\nv=0\r\no=- 1475260975886931 1 IN IP4 192.168.233.233\r\ns=IP Camera Video\r\ni=videoMain\r\n"
                   "t=0 0\r\na=type:broadcast\r\n"),),
         "Foscam", False, "https://github.com/luisiam/homebridge-foscamcamera/issues/2",
         "the plugin's logged chunk, cut after the SDP's a=type line (its a=tool line left out)"),
    Case("foscam-c1-options-names-only-the-chip-sdk",
         (("rtsp", "RTSP/1.0 200 OK\r\nServer: Hisilicon Streaming Media Server/1.0.0(Jul 30 2015)\r\nCseq: 1\r\n"
                   "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n\r\n"),),
         None, None, "https://github.com/luisiam/homebridge-foscamcamera/issues/6",
         "a Foscam C1's OPTIONS answer: HiSilicon's SDK server runs on many makers' boards"),
    Case("tapo-c210-certificate-as-s-client-prints-it",
         (("tls_cert", "CONNECTED(00000003)\nCan't use SSL_get_servername\ndepth=0 CN=TPRI-DEVICE, O=TPRI, C=US\n"),),
         "TP-Link", False, "https://github.com/JurajNyiri/HomeAssistant-Tapo-Control/issues/1207",
         "openssl s_client's first lines for the camera's port 443"),
    Case("d-link-camera-certificate-as-s-client-prints-it",
         (("tls_cert", "CONNECTED(00000003)\nCan't use SSL_get_servername\ndepth=0 C = TW, ST = Asia, L = Asia, "
                       "O = D-Link Corporation, OU = D-Link Corporation, CN = www.dlink.com\n"
                       "verify error:num=18:self signed certificate\nverify return:1\n---\nCertificate chain\n"
                       " 0 s:C = TW, ST = Asia, L = Asia, O = D-Link Corporation, OU = D-Link Corporation, "
                       "CN = www.dlink.com\n   i:C = TW, ST = Asia, L = Asia, O = D-Link Corporation, "
                       "OU = D-Link Corporation, CN = www.dlink.com\n"),),
         "D-Link", False, "https://github.com/bmork/defogger/issues/9",
         "a D-Link camera's port 443 in s_client, one of its repeated depth=0 lines and the PEM left out"),
    Case("reolink-certificate-issuer-as-s-client-prints-it",
         (("tls_cert", "CONNECTED(00000003)\nCan't use SSL_get_servername\ndepth=0 C = CN, ST = GD, L = SZ, "
                       "O = reokink, OU = REOLINK, CN = reolink, emailAddress = service@reo-link.com\n"
                       "verify error:num=20:unable to get local issuer certificate\nverify return:1\n---\n"
                       "Certificate chain\n 0 s:C = CN, ST = GD, L = SZ, O = reokink, OU = REOLINK, CN = reolink, "
                       "emailAddress = service@reo-link.com\n   i:C = CN, ST = GD, L = SZ, O = REOLINK, OU = REOLINK, "
                       "CN = REOLINK, emailAddress = service@reo-link.com\n---\n"),),
         "Reolink", False, "https://github.com/fwestenberg/reolink_dev/issues/525",
         "a Reolink camera's port 443 in s_client (its repeated depth=0 lines left out): the issuer, Reolink's "
         "device CA, names the maker"),
    Case("a-website-chain-in-s-client-names-no-maker",
         (("tls_cert", "CONNECTED(00000003)\ndepth=2 C = US, O = DigiCert Inc, OU = www.digicert.com, "
                       "CN = DigiCert Global Root CA\nverify return:1\ndepth=1 C = US, O = DigiCert Inc, "
                       "CN = DigiCert SHA2 Secure Server CA\nverify return:1\ndepth=0 C = US, ST = California, "
                       "L = Walnut Creek, O = Lucas Garron, CN = *.badssl.com\nverify return:1\n---\n"
                       "Certificate chain\n 0 s:C = US, ST = California, L = Walnut Creek, O = Lucas Garron, "
                       "CN = *.badssl.com\n   i:C = US, O = DigiCert Inc, CN = DigiCert SHA2 Secure Server CA\n"),),
         None, None, "https://github.com/chromium/badssl.com/issues/421", "the s_client output up to the first PEM"),
    Case("panasonic-lumix-upnp-server-header",
         (("http_header", "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 0\r\nDATE: Wed, 20 Apr 2022 03:26:14 GMT\r\n"
                          "SERVER: Panasonic/1.0 UPnP/1.0 Panasonic-UPnP-MW/1.0\r\n"
                          "SID: uuid:4D454931-0000-1000-8000-B46C476BC240\r\nTIMEOUT: Second-300\r\n"
                          "CONNECTION: close\r\n"),),
         "Panasonic", False, "https://github.com/bitfocus/companion-module-requests/issues/402",
         "a Lumix BGH1's answer to SUBSCRIBE in curl -v, without curl's marks"),
    Case("axis-ftp-greeting", (("telnet_banner", "220 AXIS P1357 Network Camera 5.40.19.2 (2014) ready.\r\n"),),
         "Axis", False, _ZTAG + "FtpAxis.py", "one of the module's camera test banners"),
    Case("axis-ftp-greeting-of-an-encoder",
         (("telnet_banner", "220 AXIS M7014 Video Encoder 5.40.7.1 (2012) ready.\r\n"),),
         "Axis", False, _ZTAG + "FtpAxis.py", "one of the module's video encoder test banners"),
    Case("sony-ftp-greeting-with-model", (("telnet_banner", "220-Sony Network Camera SNC-EP520\r\n220 \r\n"),),
         "Sony", False, _ZTAG + "FtpSony.py"),
    Case("sony-ftp-greeting-welcome", (("telnet_banner", "220 Welcome to SONY Network Camera\r\n"),),
         "Sony", False, _ZTAG + "FtpSony.py"),
    Case("a-generic-network-camera-ftp-greeting-names-nothing",
         (("telnet_banner", "220 Network-Camera FTP server (GNU inetutils 1.4.2) ready.\r\n"),),
         None, None, _ZTAG + "FtpGenericCamera.py"),
    # --- nmap -sV's port table as pasted: its version column is nmap's conclusion (a tool's, never certain) ----
    Case("nmap-table-bosch-gateway",
         (("other", "PORT   STATE SERVICE VERSION\n80/tcp open  http    Bosch Logamatic Gateway web KM200 httpd\n"
                    "|_http-title: Site doesn't have a title (text/html).\nService Info: Device: specialized\n"),),
         "Bosch", False, "https://github.com/robertklep/bosch-xmpp/issues/18",
         "nmap -A's table, as the issue quotes it"),
    Case("nmap-table-bracketed-guess-is-not-read",
         (("other", "PORT     STATE SERVICE      VERSION\n"
                    "21/tcp   open  ftp          BusyBox ftpd (D-Link DCS-932L IP-Cam camera)\n"),),
         None, None, "https://github.com/ant-thomas/zsgx1hacks/issues/119",
         "the first port line of the table: BusyBox names no maker, and nmap's bracketed guess is not read"),
    Case("nmap-table-without-versions-names-nothing",
         (("other", "PORT     STATE SERVICE    VERSION\n23/tcp   open  telnet\n843/tcp  open  unknown\n"
                    "5050/tcp open  mmcc?\n7103/tcp open  tcpwrapped\n8001/tcp open  rtsp\n"),),
         None, None, "https://github.com/ant-thomas/zsgx1hacks/issues/35",
         "the table's port lines without nmap's fingerprint dumps"),
    Case("nmap-fingerprint-dump-server-of-a-no-name-camera",
         (("other", "8001/tcp open  rtsp\n| fingerprint-strings: \n|   FourOhFourRequest: \n"
                    "|     HTTP/1.1 404 Not Found\n|     Server: TAS-Tech IPCam\n"
                    "|     Date: Fri, 8 Mar 118 18:46:15 GMT\n"),),
         None, None, "https://github.com/ant-thomas/zsgx1hacks/issues/35",
         "the dump nmap printed for the camera's port 8001: its Server header is read, and names no known maker"),
    Case("nmap-fingerprint-dump-of-a-storage-server",
         (("other", "PORT     STATE SERVICE     VERSION\n9000/tcp open  cslistener?\n| fingerprint-strings: \n"
                    "|   GetRequest: \n|     HTTP/1.0 400 Bad Request\n|     Accept-Ranges: bytes\n"
                    "|     Content-Length: 232\n|     Content-Type: application/xml\n|     Server: MinIO\n"
                    "|     Vary: Origin\n"),),
         None, None, "https://github.com/google/tsunami-security-scanner-plugins/issues/303",
         "nmap's dump for MinIO's API port, cut after its Vary header"),
    # --- Dahua and its labels in the forms people paste (issue 9): logs, CGI tables, event streams ------------
    Case("a-client-request-alone-is-not-the-doorbell-s-answer",
         (("other", "4:12:51.354 p.m.\ttrace\t[rtsp] client request:\nTEARDOWN rtsp://192.168.4.11:554/cam/realmonitor?"
                    "channel=1&subtype=0 RTSP/1.0\nCSeq: 3\nAuthorization: Digest username=\"XXXX\", realm=\"Login to "
                    "ND032206020280\", nonce=\"fa50be72fc916f068bfaae67f9e76f28\", uri=\"rtsp://192.168.4.11:554/cam/"
                    "realmonitor?channel=1&subtype=0\", response=\"9e5d746cae243e1aba3530420c1932fc\"\n"),),
         None, None, "https://github.com/AlexxIT/go2rtc/issues/1594",
         "a request of go2rtc's trace for a Lorex doorbell: the realm it repeats is not read from a request "
         "(see test_banner_names.test_a_request_alone_is_not_an_answer); the doorbell's own 401 is another case"),
    Case("amcrest-realm-in-scrypted-rebroadcast-log",
         (("other", "[Rebroadcast Plugin]: rtsp incoming message\n[Rebroadcast Plugin]:  RTSP/1.0 401 Unauthorized\n"
                    "[Rebroadcast Plugin]: CSeq: 0\n[Rebroadcast Plugin]: WWW-Authenticate: Digest realm=\"Login to "
                    "AMC059BF677A58A7DE\", nonce=\"d541e01ee655850d6208c048edda8004\"\n[Rebroadcast Plugin]: \n"),),
         "Dahua", False, "https://github.com/koush/scrypted/issues/1695",
         "the Rebroadcast plugin's log of an Amcrest camera's RTSP challenge"),
    Case("amcrest-realm-in-scrypted-log-as-rtsp",
         (("rtsp", "[Rebroadcast Plugin]: rtsp incoming message\n[Rebroadcast Plugin]:  RTSP/1.0 401 Unauthorized\n"
                   "[Rebroadcast Plugin]: CSeq: 0\n[Rebroadcast Plugin]: WWW-Authenticate: Digest realm=\"Login to "
                   "AMC059BF677A58A7DE\", nonce=\"d541e01ee655850d6208c048edda8004\"\n[Rebroadcast Plugin]: \n"),),
         "Dahua", False, "https://github.com/koush/scrypted/issues/1695",
         "the same lines kept as an RTSP answer: the plugin's bracketed name before each line is taken off"),
    Case("amcrest-challenge-in-an-ngrep-print",
         (("rtsp", "T 192.168.1.8:54418 -> 192.168.1.28:554 [AP]\n"
                   "  OPTIONS rtsp://192.168.1.28:554/cam/realmonitor?channel=1&subtype=1 RTSP/1.\n"
                   "  0..CSeq: 1..User-Agent: Lavf56.25.101....\n##\n"
                   "T 192.168.1.28:554 -> 192.168.1.8:54418 [AP]\n"
                   "  RTSP/1.0 401 Unauthorized..CSeq: 1..WWW-Authenticate: Digest realm=\"Login t\n"
                   "  o AMC0007RVY5EQ6DV29\", nonce=\"5ae62bb61f1fXXX08e0fb833c0747f60\", ....\n##\n"),),
         "Dahua", False, "https://github.com/Motion-Project/motion/issues/121",
         "ngrep's print of an Amcrest camera's RTSP exchange: the realm wrapped across two lines, CRLF shown as dots"),
    Case("amcrest-ngrep-print-as-text",
         (("other", "T 192.168.1.28:554 -> 192.168.1.8:54418 [AP]\n"
                    "  RTSP/1.0 401 Unauthorized..CSeq: 1..WWW-Authenticate: Digest realm=\"Login t\n"
                    "  o AMC0007RVY5EQ6DV29\", nonce=\"5ae62bb61f1fXXX08e0fb833c0747f60\", ....\n##\n"),),
         "Dahua", False, "https://github.com/Motion-Project/motion/issues/121", "the camera's packet alone, as text"),
    Case("a-reolink-realm-in-the-same-log-names-no-dahua",
         (("other", "[Rebroadcast Plugin]: User-Agent: Scrypted\n[Rebroadcast Plugin]: Authorization: Digest username="
                    "\"admin\", realm=\"BC Streaming Media\", nonce=\"af46c13cb5388e8ddaf97608f98c0f0b\", uri=\"rtsp://"
                    "10.71.133.104//track1\", algorithm=\"MD5\", response=\"95820a5027a8d3d3250b6a0250885442\"\n"),),
         None, None, "https://github.com/koush/scrypted/issues/1697",
         "a Reolink camera's realm in a Scrypted log: a firmware family, no maker"),
    Case("imou-challenge-printed-as-a-php-array",
         (("other", "Array\n(\n    [0] => HTTP/1.1 401 Unauthorized\n    [1] => Cache-Control: no-cache\n"
                    "    [2] => Session-Id: 2606109608\n    [3] => User-Agent: AEDA HTTP Server/1.0\n"
                    "    [4] => x-pcs-request-id: \n"
                    "    [5] => WWW-Authenticate: Digest realm=\"Login to 54FFB94ED89C7ABB\","
                    "nonce=\"4bac67d2-084d-41d2-b0e2-145994c4b6f2\"\n    [6] => \n"),),
         "Dahua", False, "https://github.com/git-moe/dahua-camera-ptz/issues/1",
         "PHP's print of the headers an Imou camera answered on port 8086, its second answer left out"),
    Case("amcrest-configmanager-encode-answer",
         (("http_body", "table.Encode[0].MainFormat[0].Audio.Bitrate=64\n"
                        "table.Encode[0].MainFormat[0].Audio.Channels[0]=0\n"
                        "table.Encode[0].MainFormat[0].Audio.Compression=G.726\n"
                        "table.Encode[0].MainFormat[0].Audio.Depth=16\n"
                        "table.Encode[0].MainFormat[0].Audio.Frequency=8000\n"
                        "table.Encode[0].MainFormat[0].Audio.Mode=0\n"),),
         "Dahua", False, "https://github.com/home-assistant/core/issues/174441",
         "the first lines of an Amcrest camera's getConfig&name=Encode body, where the reporter truncated it"),
    Case("dahua-configmanager-videoinmode-pasted",
         (("other", "table.VideoInMode[0].Config[0]=0\ntable.VideoInMode[0].Config[1]=1\n"
                    "table.VideoInMode[0].ConfigEx=Day\ntable.VideoInMode[0].Mode=2\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/647",
         "a follow-up comment's VideoInMode read over the CGI"),
    Case("amcrest-t2userver-table-pasted",
         (("other", "table.T2UServer.Address=p2p.amcrestview.com\ntable.T2UServer.Enable=true\n"
                    "table.T2UServer.Port=8800\n"
                    "table.T2UServer.RegisterServer=amcrestview.com\ntable.T2UServer.Type=dhp2p\n"
                    "table.T2UServer.UUID=AMC0957EE72D5819C5\ntable.T2UServer.WebVersion=2.420.0\n"),),
         "Dahua", False, "https://github.com/khoanguyen-3fc/dh-p2p/issues/17",
         "some lines of the owner's T2UServer table (the key and port lines left out)"),
    Case("a-script-s-table-property-is-not-a-dahua-table",
         (("http_body", "<script>table.rows=5;\ntable.Cols=3;</script>"),), None, None,
         "https://github.com/home-assistant/core/issues/174441", "synthetic: two JavaScript assignments"),
    Case("dahua-event-stream-from-curl",
         (("other", "--myboundary\nContent-Type: text/plain\nContent-Length:9\n\nHeartbeat\n--myboundary\n"
                    "Content-Type: text/plain\nContent-Length:41\n\nCode=VideoMotionInfo;action=State;index=0\n\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/166",
         "the start of a Dahua camera's eventManager.cgi attach stream as curl printed it"),
    Case("amcrest-doorbell-events-printed-with-escapes",
         (("other", "2020-09-28 07:55:09 '\\r\\nCode=ProfileAlarmTransmit;action=Start;index=0;data={\\n   "
                    "\"SenseMethod\" : \"PassiveInfrared\",\\n   \"UTC\" : 1601279708\\n'\n"),),
         "Dahua", False, "https://github.com/tchellomello/python-amcrest/issues/137",
         "one event of an Amcrest AD110 as the reporter's script printed it"),
    Case("amcrest-doorbell-event-record-in-a-log",
         (("other", "2021-08-29 15:24:41 DEBUG (Thread-14) [custom_components.dahua] VTO Data received: {'Action': "
                    "'Start', 'Code': 'NetAbort', 'Data': {'Interface': 'eth0', 'LocaleTime': '2021-08-29 15:24:43', "
                    "'UTC': 1630272283.0}, 'Index': 0, 'Param': {}, 'serialNumber': 'Z17EA928ADB76', "
                    "'DeviceName': 'Front Door'}\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/52",
         "an Amcrest AD410's event as Home Assistant's Dahua integration logged it"),
    Case("another-program-s-event-hash-names-nothing",
         (("other", '{"event_type"=>"VMD", "event_description"=>"InterVideoAccess", "action"=>"Pulse"}'),), None, None,
         "https://github.com/rroller/dahua/issues/240",
         "a program's own rendering of a Dahua event (lower-case keys, Ruby hash syntax): not the camera's format"),
    Case("amcrest-firmware-file-names-in-release-notes",
         (("other", "- Added support to new Amcrest firmware V2.400.AC01.15.R.20170328 <david@neongoat.com>\n"),),
         "Dahua", False, "https://github.com/tchellomello/python-amcrest/pull/73"),
    Case("amcrest-version-page-later-oem-field",
         (("other", "Software Version V2.800.00AC001.0.R, Build Date: 2020-09-04\nWEB Version V3.2.1.880675\n"
                    "ONVIF Version 19.06(V2.6.1.845551)\n"),),
         "Dahua", False, "https://github.com/home-assistant/core/issues/67526"),
    Case("amcrest-firmware-in-prose",
         (("other", "I'm working with a IP2M-841, just upgraded to new firmware V2.420.AC00.17.R 3/22/17"),),
         "Dahua", False, "https://github.com/tchellomello/python-amcrest/issues/70"),
    Case("amcrest-software-information-repr",
         (("other", "camera.software_information\n'version=2.420.AC00.15.R\\r\\nBuildDate=2016-09-08'"),),
         "Dahua", False, "https://github.com/tchellomello/python-amcrest/issues/168",
         "python-amcrest's property printed as a Python string"),
    Case("dahua-vto-model-and-version-lines",
         (("other", "Device model: DHI-VTO2211G-WP-S2\nSoftware version: 2025-03-07 V4.800.0000000.4.R\n"),),
         "Dahua", False, "https://github.com/myhomeiot/DahuaVTO/issues/46"),
    Case("dahua-nvr-certificate-in-a-pasted-curl-transcript",
         (("other", "* Server certificate:\n*  subject: CN=192.168.20.92; C=CN\n"
                    "*  start date: Aug  5 11:29:38 2024 GMT\n"
                    "*  expire date: Jul 30 11:29:38 2054 GMT\n*  issuer: CN=NVR; C=CN; ST=Zhejiang; L=Hangzhou; "
                    "O=ZheJiang Dahua Technology CO.,LTD.; OU=NVR\n*  SSL certificate verify result: unable to get "
                    "local issuer certificate (20), continuing anyway.\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/647",
         "the certificate lines of curl -v's transcript, kept as text rather than as a certificate"),
    Case("dahua-nvr-nmap-scripts-pasted-whole",
         (("other", "http-headers\n  CONNECTION: keep-alive\n  CONTENT-LENGTH: 10639\n  CACHE-CONTROL: max-age=0\n"
                    "  CONTENT-TYPE: text/html\n  \n  (Request type: HEAD)\nhttp-title\nWEB\nssl-cert\nSubject\n"
                    "    CN: 192.168.2.70\n    Country: CN\nIssuer\n"
                    "    CN: Dahua\\xC2\\xA0Device\\xC2\\xA0NVR\\xC2\\xA0CA\n"
                    "    Org: Zhejiang\\xC2\\xA0Dahua\\xC2\\xA0Technology\\xC2\\xA0Co.,Ltd.\n"),),
         "Dahua", False, "https://github.com/D4-project/Plum-Island/issues/204",
         "the issue's nmap output as one text, some header lines left out"),
    Case("dahua-s-name-in-prose-is-no-certificate",
         (("other", "The OUI 3C:EF:8C is registered to Zhejiang Dahua Technology Co., Ltd.\n"),), None, None,
         "https://github.com/D4-project/Plum-Island/issues/204", "synthetic: the legal name outside a certificate"),
    Case("dahua-rpc-software-version-record",
         (("dahua_rpc", '{"version":{"Build":"20201019","BuildDate":"2020-10-19","SecurityBaseLineVersion":"V2.1",'
                        '"Version":"2.800.15OG004.0.R","WebVersion":"V3.2.1.948164"}}'),),
         "Dahua", None, _DAHUA_RPC_README, "an IPC-T5442TM-AS's getSoftwareVersion params over the JSON RPC"),
    Case("dahua-rpc-library-output-pasted",
         (("other", '30\n"IPC"\n"IPC-T5442TM-AS-3.6mm"\n"1.00"\n"Oversea"\n{"free":9613312,"total":274636800}\n'
                    '"HI3516DV300"\n{"version":{"Build":"20201019","BuildDate":"2020-10-19","SecurityBaseLineVersion":'
                    '"V2.1","Version":"2.800.15OG004.0.R","WebVersion":"V3.2.1.948164"}}\n'),),
         "Dahua", False, _DAHUA_RPC_README, "the README's printed answers, its last two lines left out"),
    Case("dahua-rpc-component-error-from-a-console",
         (("other", '{"error":{"code":268632064,"message":"Component error: interface not found!"},"id":1,"result":0,'
                    '"session":1882678016}'),),
         "Dahua", False, "https://github.com/mcw0/DahuaConsole/issues/47",
         "a camera refusing deviceDiscovery.factory.instance, as the reporter quoted it"),
    Case("ez-ip-rpc-answer-printed-by-python-2",
         (("dahua_rpc", "{u'session': u'528b1ab7bb23f2877010495', u'params': {u'type': u'IPC-D2B20-ZS'}, "
                        "u'result': True, u'id': 6}"),),
         "Dahua", None, "https://github.com/mcw0/Tools/issues/8",
         "magicBox.getDeviceType over the JSON RPC, printed as a Python 2 dict (u'...' strings)"),
    Case("ez-ip-rpc-answers-pasted",
         (("other", "{u'session': u'528b1ab7bb23f2877010495', u'params': {u'sn': u'----edited----'}, u'result': True, "
                    "u'id': 4}\n{u'session': u'528b1ab7bb23f2877010495', u'params': {u'type': u'IPC'}, "
                    "u'result': True, u'id': 5}\n"
                    "{u'session': u'528b1ab7bb23f2877010495', u'params': {u'Vendor': u'EZIP'}, u'result': True, "
                    "u'id': 8}\n"),),
         "Dahua", False, "https://github.com/mcw0/Tools/issues/8", "three of the printed answers"),
    Case("a-json-rpc-2-answer-is-not-dahua-s",
         (("other", '{"jsonrpc": "2.0", "result": true, "id": 6}'),), None, None,
         "https://github.com/mcw0/Tools/issues/8", "synthetic: a standard JSON-RPC 2.0 answer"),
    Case("dahua-nvr-snmpwalk-system-group",
         (("other", "SNMPv2-MIB::sysDescr.0 = STRING: NVR\nSNMPv2-MIB::sysObjectID.0 = OID: SNMPv2-SMI::enterprises."
                    "1004849.3.2.10\nDISMAN-EVENT-MIB::sysUpTimeInstance = Timeticks: (2277290) 6:19:32.90\n"
                    "SNMPv2-MIB::sysContact.0 = STRING: Unknown\nSNMPv2-MIB::sysName.0 = STRING: (none)\n"),),
         "Dahua", False, "https://github.com/librenms/librenms/issues/8126",
         "the start of the reporter's snmpwalk of a DH-NVR4108HS-8P-4KS2"),
    Case("the-dahua-branch-in-another-oid-is-not-a-sysobjectid",
         (("other", "SNMPv2-MIB::sysObjectID.0 = OID: NET-SNMP-MIB::netSnmpAgentOIDs.10\n"
                    "SNMPv2-MIB::sysORID.9 = OID: SNMPv2-SMI::enterprises.1004849.2.1.1\n"),),
         None, None, "https://github.com/librenms/librenms/issues/8126",
         "synthetic: a Linux agent's sysObjectID, with the Dahua branch only in another object's value"),
    Case("dahua-nvr-getsysteminfo-code-device-type",
         (("dahua_cgi", "deviceType=31\nprocessor=ST7108\nserialNumber=4F07335PAZEEA9B\nupdateSerial=NVR2X-4KS3\n"),
          ("dahua_cgi", "version=4.001.0000005.0,build:2020-11-17\n"), ("dahua_cgi", "name=NVR\n"),
          ("dahua_cgi", "vendor=Dahua\n")),
         "Dahua", True, "https://github.com/rroller/dahua/issues/9",
         "an NVR's getSystemInfo, getSoftwareVersion, getMachineName and getVendor answers as the issue lists them"),
    Case("dahua-xvr-getdevicetype-quoted-as-inline-code",
         (("other", "output of /cgi-bin/magicBox.cgi?action=getDeviceType is \n`type=DH-XVR5108C-X `\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/59",
         "the answer after the request it answers, in Markdown backticks: the DH- model names the maker"),
    Case("dahua-nvr-getvendor-under-its-request",
         (("other", "`/cgi-bin/magicBox.cgi?action=getVendor`\n```\nvendor=Dahua\n```\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/9"),
    Case("a-vendor-line-without-its-request-is-not-read",
         (("other", "vendor=Dahua\n"),), None, None, "https://github.com/rroller/dahua/issues/9",
         "synthetic: the line alone, with nothing saying it is a magicBox answer"),
    Case("dahua-xvr-getsysteminfo-without-devicetype",
         (("dahua_cgi", "processor=ST7108\nserialNumber=...\nupdateSerial=XVR5108C-X\n"),),
         "Dahua", None, "https://github.com/rroller/dahua/issues/59", "the serial was masked in the issue"),
    Case("amcrest-doorbell-getsysteminfo-pasted",
         (("other", "appAutoStart=true\ndeviceType=AD410\nhardwareVersion=1.00\nprocessor=SSC339\n"
                    "serialNumber=Z17A6F9xxxxx\nupdateSerial=DB6I\n"),),
         "Dahua", False, "https://github.com/rroller/dahua/issues/304",
         "without its updateSerialCloudUpgrade line; the serial was masked in the issue"),
    # --- banners ------------------------------------------------------------------------------------------------
    Case("hikvision-app-webs-server",
         (("http_header", "HTTP/1.1 200 OK\r\nServer: App-webs/\r\nContent-Type: text/html\r\n\r\n"),),
         "Hikvision", False, _MSF_7921,
         "the header the module's Shodan query names, with an HTTP status line as framing"),
    Case("hikvision-app-webs-in-a-curl-transcript",
         (("http_header", "* Connected to 192.168.1.64 (192.168.1.64) port 80 (#0)\n> GET / HTTP/1.1\n"
                          "> Host: 192.168.1.64\n> Accept: */*\n>\n< HTTP/1.1 200 OK\n< Server: App-webs/\n"
                          "< Content-Type: text/html\n<\n* Connection #0 to host 192.168.1.64 left intact\n"),),
         "Hikvision", False, _MSF_7921,
         "the module's header as curl -v prints an answer (the transcript's form is curl's)"),
    Case("hikvision-app-webs-headers-without-status-line",
         (("http_header", "Server: App-webs/\r\nContent-Type: text/html\r\n"),),
         "Hikvision", False, _MSF_7921, "a header block pasted without its status line"),
    Case("hikvision-dvr-dvrdvs-webs-server",
         (("http_header", "HTTP/1.1 200 OK\r\nServer: DVRDVS-Webs\r\n\r\n"),),
         "Hikvision", False, "https://www.mdsec.co.uk/2016/10/building-an-iot-botnet-bsides-manchester-2016/",
         "the Server header the talk's device fingerprints name, with an HTTP status line as framing"),
    Case("isapi-refusal-in-the-psia-namespace",
         (("http_body", "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<ResponseStatus version=\"1.0\" "
                        "xmlns=\"urn:psialliance-org\">\n    <requestURL>/ISAPI/Event/notification/alertStream"
                        "</requestURL>\n    <statusCode>4</statusCode>\n"),),
         "Hikvision", False, "https://github.com/mezz64/pyHik/issues/16", "the first lines of the refusal quoted"),
    Case("hikvision-root-page-redirect",
         (("http_body", "<html>\n<head>\n<script type=\"text/javascript\">\nfunction init()\n{\n"
                        "\twindow.location.href = \"doc/page/login.asp\";\n}\n</script>\n</head>\n"
                        "<body onLoad=\"init()\">\n</body>\n</html>\n"),),
         "Hikvision", False, _HIK_DISPATCH,
         "the firmware's dispatch page, its language and single-sign-on branches left out"),
    Case("a-page-linking-to-a-hikvision-login-is-not-one",
         (("http_body", "<li><a class=\"nav-link\" href=\"http://10.10.90.90/doc/page/login.asp?_1762828508144\" "
                        "target=\"_blank\">Web Portal</a></li>"),),
         None, None, _HIK_DISPATCH, "synthetic: an intranet menu entry pointing at a device's login page"),
    Case("web-service-title-alone-names-nothing",
         (("http_body", "<html><head><title>WEB SERVICE</title></head><body></body></html>"),),
         None, None, _GREENBONE_DAHUA, "synthetic: the title Greenbone pairs with Dahua's login dialog, alone"),
    # --- network equipment that names only its product line, or nothing (issue 9) ---------------------------
    Case("draytek-vigor-realm",
         (("http_header", "HTTP/1.0 401 Unauthorized\r\nServer: http\r\nConnection: close\r\n"
                          "WWW-Authenticate: Basic realm=\"Login to Vigor 3300\"\r\n\r\n"),),
         "DrayTek", False, _NMAP_PROBES + "#L8446",
         "the answer the match line describes (its other headers left out): the realm names the Vigor line"),
    Case("fortiweb-server-header",
         (("http_header", "HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 10:00:00 GMT\r\nServer: FortiWeb-5.3.4\r\n\r\n"),),
         "Fortinet", False, _NMAP_PROBES + "#L7240", "the match line's answer, a date and a version filled in"),
    Case("watchguard-fireware-title",
         (("http_body", "<html><head><title>Fireware XTM User Authentication</title></head></html>"),),
         "WatchGuard", False, _NMAP_PROBES + "#L9134", "the title the match line holds, in a page of its own"),
    Case("mikrotik-routeros-title",
         (("http_body", "<html><head><title>RouterOS router configuration page</title></head></html>"),),
         "MikroTik", False, _NMAP_PROBES + "#L7233", "the title the match line holds, in a page of its own"),
    Case("tp-link-archer-upnp-server-names-no-maker",
         (("ssdp", "HTTP/1.0 200 OK\r\nSERVER: ipos/7.0 UPnP/1.0 Archer_C7/1.0\r\n\r\n"),),
         None, None, _NMAP_PROBES + "#L11728",
         "the match line's server string, versions filled in: Archer is an ordinary word, no product line"),
    Case("hp-laserjet-web-page-title",
         (("http_body", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html>\n<head>\n"
                        "<title>HP Color LaserJet MFP M283fdw&nbsp;&nbsp;&nbsp;192.168.88.7</title>\n"
                        "<link href=\"/hp/device/defaultnew.css\" type=\"text/css\" rel=\"stylesheet\">\n"),),
         "HP", False, "https://github.com/elad-bar/ha-hpprinter/issues/107",
         "the printer's main page as the issue quotes it, trimmed to its head's first lines (not a camera: HP's)"),
    Case("hp-jetdirect-sysdescr",
         (("other", "SNMPv2-MIB::sysDescr.0 = STRING: HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD102,"
                    "EEPROM V.34.63,CIDATE 02/26/2007"),),
         "HP", False, "https://github.com/rapid7/metasploit-framework/pull/2919",
         "the Description the module prints for a JetDirect print server, as snmpget prints a sysDescr"),
    Case("allworx-title-and-isp-certificate",
         (("http_body", "<html><head><title>Allworx System Administration</title></head></html>"),
          ("tls_cert", "| ssl-cert: Subject: commonName=Web Server/organizationName=Windstream/"
                       "stateOrProvinceName=New York/countryName=US\n| Issuer: commonName=Web Server/"
                       "organizationName=Windstream/stateOrProvinceName=New York/countryName=US\n")),
         "Allworx", False, "https://github.com/nmap/nmap/issues/3481",
         "the http-title and ssl-cert lines of the issue's scan of one host: the certificate names the ISP, no maker"),
    Case("fritzbox-tr069-port-names-nothing",
         (("http_header", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),),
         None, None, "https://github.com/nmap/nmap/issues/1225", "the FRITZ!Box's TR-069 port answer the issue quotes"),
    Case("netgear-switch-curl-names-nothing",
         (("http_header", "> GET / HTTP/1.1\n> Host: 192.168.0.69\n> User-Agent: curl/7.64.0\n> Accept: */*\n> \n"
                          "< HTTP/1.1 200 OK\n< Transfer-Encoding: chunked\n< Content-Type: text/html\n"
                          "< Cache-Control: no-cache\n< X-Frame-Options: SAMEORIGIN\n"
                          "< X-XSS-Protection: 1; mode=block\n< X-Content-Type-Options: nosniff\n< \n"),),
         None, None, "https://github.com/nitram509/ntgrrc/issues/56",
         "a NETGEAR GS316EP's curl -v answer as the issue quotes it, its body left out: no header names a maker"),
    # --- telnet greetings and login prompts as people paste them (issue 9) ------------------------------------
    Case("huawei-vrp-telnet-with-a-login-banner",
         (("telnet_banner", "Warning: Telnet is not a secure protocol, and it is recommended to use Stelnet.\n"
                            "------------------------------------------------------------------\n"
                            "|  ACCESS TO THIS DEVICE IS UNDER STRICT ADMINISTRATIVE CONTROL. |\n"
                            "|      IF YOU ARE UNAUTHORISED PLEASE DISCONNECT IMMEDIATELY.    |\n"
                            "|               ALL USAGE OF THIS DEVICE IS LOGGED.               |\n"
                            "------------------------------------------------------------------\n\n"
                            "Login authentication\n\nUsername:"),),
         "Huawei", False, "https://github.com/ytti/oxidized/issues/2059",
         "the Huawei devices' greeting the reporter's log shows; the banner's two blank framed lines left out and "
         "a run of spaces in its last line shortened"),
    Case("huawei-vrp-imitated-by-a-honeypot-names-nobody",
         (("telnet_banner", "Warning: Telnet is not a secure protocol, and it is recommended to use STelnet. \n\n"
                            "Login authentication\n\n\n\nUsername: "),),
         None, None, "https://github.com/honeytrap/honeytrap/issues/415",
         "a honeypot's telnet service imitating the VRP greeting (its own spelling, STelnet), as the issue shows it"),
    Case("generic-camera-login-prompt-names-nobody",
         (("telnet_banner", "CAMERA login: "),),
         None, None, "https://github.com/ant-thomas/zsgx1hacks/issues/35",
         "the NULL probe's answer in the nmap fingerprint-strings the issue pastes (a GIBSSI camera)"),
    Case("a-login-prompt-naming-another-company-names-nobody",
         (("telnet_banner", "iSmartAlarm login:"),),
         None, None, "https://github.com/EliasKotlyar/Xiaomi-Dafang-Hacks/issues/1281",
         "the prompt a Xiaomi Xiaofang camera gave on its telnet port, as the reporter quotes it: another company's "
         "name, not in the catalogue"),
    Case("huawei-home-gateway-greeting-in-an-ident-transcript",
         (("telnet_banner", "\xFF\xFB\x01\xFF\xFB\x03\xFF\xFB\x18\r\nWelcome Visiting Huawei Home Gateway\r\n"
                            "Copyright by Huawei Technologies Co., Ltd.\r\n\r\nLogin:"),),
         "Huawei", False, "https://github.com/intrigueio/intrigue-ident/pull/38",
         "the banner as the pull request's usage example prints it, in escaped form"),
    # --- Hikvision ISAPI alarm pushes: the MAC goes to the IEEE registry -----------------------------------
    Case("isapi-alert-std-cgi-namespace",
         (("other", "<EventNotificationAlert version=\"1.0\" xmlns=\"http://www.std-cgi.com/ver20/XMLSchema\">\n"
                    "<ipAddress>192.168.1.12</ipAddress>\n<macAddress>3c:1b:f8:09:88:85</macAddress>\n"
                    "<eventType>videoloss</eventType>\n<eventState>inactive</eventState>\n"
                    "</EventNotificationAlert>\n"),),
         "Hikvision", True, "https://github.com/Supergiovane/node-red-contrib-hikvision-ultimate/issues/59",
         "trimmed to some of its lines"),
    # --- Hikvision EHome / ISUP messages (platform registration, 7660): the device's request, probable only ---
    Case("ehome-device-register-capture-names-hikvision-probably",
         (("other", '<?xml version="1.0" encoding="GB2312"?><PPVSPMessage>    <!--eho'
                    'me协议版本-->    <Version>2.0</Version>     <!--信令交互序列号-->    <Seque'
                    'nce>21910</Sequence>    <!--标示发送的是请求-->    <CommandType>REQUEST<'
                    '/CommandType>    <!--设备注册命令-->       <Command>REGISTER</Command>'
                    '    <Params>        <NetUnitType>PU</NetUnitType>        <!--设备序'
                    '列号:唯一-->        <DeviceID>560796072</DeviceID>        <!--设备固件版本'
                    '-->        <FirmwareVersion>V5.4.5 build 170302</FirmwareVersion'
                    '>        <!--设备本机IP-->        <LocalIP>192.168.1.100</LocalIP>  '
                    '      <!--设备本机端口-->        <LocalPort>9486</LocalPort>        <!'
                    '--设备类型:参见专门文档-->        <DevType>31</DevType>        <!--设备厂家-->'
                    '        <Manufacture>0</Manufacture>    </Params></PPVSPMessage>'),),
         "Hikvision", False, "https://www.365seal.com/y/xPnQMrWlnK.html",
         "an EHome 2.0 REGISTER a device sent, as the analysis quotes it with its annotations as XML comments: the "
         "firmware version is read, the DeviceID (the platform-access ID) is not"),
    Case("ehome-register-request-names-hikvision-probably",
         (("other", '<?xml version="1.0" encoding="UTF - 8" ?> <PPVSPMessage><Version>4.0</Version><Sequence>1'
                    '</Sequence><CommandType>REQUEST</CommandType><Method>REGISTER</Method><Command>REGISTER'
                    '</Command><Params><SerialNumber>DS-AAAAA</SerialNumber><NetUnitType>PU</NetUnitType><DeviceID>'
                    'test0123</DeviceID><Password></Password><FirmwareVersion>Vx.y.z buildYYMMDD</FirmwareVersion>'
                    '<LocalIP>10.21.130.53</LocalIP><LocalPort>7660</LocalPort><DevType>1</DevType><Manufacture>0'
                    '</Manufacture><DetectPackage>TRUE</DetectPackage><ReliableTransmission>TRUE'
                    '</ReliableTransmission><RegisterServer>10.33.30.218</RegisterServer></Params></PPVSPMessage>'),),
         "Hikvision", False,
         "https://github.com/xiangpeng93/UDPTestTool/blob/70f24f8e1c055dad21abd756eedb59ece56faa6b/"
         "eHomeDemoConsole/eHomeDemoConsole.cpp",
         "the REGISTER request the test tool sends as a device would (its C string unescaped): program-built, with "
         "placeholder serial and version, so only the protocol's element names the maker"),
    Case("ehome-platform-register-answer-names-nothing",
         (("other", '<?xml version="1.0" encoding="UTF-8"?>\n<PPVSPMessage>\n<Version>4.0</Version>\n<Sequence>1'
                    '</Sequence>\n<CommandType>RESPONSE</CommandType>\n<Command>REGISTER</Command>\n<Params>\n'
                    '<Status>200</Status>\n<Message>OK</Message>\n<ServerID>ISUP_PLATFORM</ServerID>\n<AddressType>1'
                    '</AddressType>\n<RegisterServer>192.168.1.35</RegisterServer>\n<RegisterPort>17660'
                    '</RegisterPort>\n</Params>\n</PPVSPMessage>'),),
         None, None,
         "https://github.com/Jasurbek414/ISUP-server-java/blob/b47e0eeac2ca7f5297a05d0590e7f80129d2142a/"
         "src/main/java/com/isup/netty/IsupUdpServer.java",
         "the platform's REGISTER answer as the server's UDP handler builds it, filled with its defaults: the "
         "platform's software wrote it, so it names no device maker"),
    # --- Hikvision ISAPI answers as integrations log them and people paste them (issue 9) --------------------
    Case("hikvision-next-log-deviceinfo-body-after-its-url",
         (("other", "2023-06-16 20:48:16.344 DEBUG (MainThread) [custom_components.hikvision_next.isapi] "
                    "http://192.168.17.205:65004//ISAPI/System/deviceInfo {'@version': '2.0', '@xmlns': "
                    "'http://www.hikvision.com/ver20/XMLSchema', 'deviceName': 'Back Garden', 'deviceID': "
                    "'5b67c000-5850-11b4-82d6-44a642466724', 'deviceDescription': 'IPCamera', 'deviceLocation': "
                    "'hangzhou', 'systemContact': 'Hikvision.China', 'model': 'DS-2CD2366G2-ISU/SL', 'serialNumber': "
                    "'DS-2CD2366G2-ISU/SL20210726AAWRG41390691', 'macAddress': '44:a6:42:46:67:24', "
                    "'firmwareVersion': 'V5.7.13', 'firmwareReleasedDate': 'build 230504', 'encoderVersion': 'V7.3', "
                    "'encoderReleasedDate': 'build 230310', 'bootVersion': 'V1.3.4', 'bootReleasedDate': '100316', "
                    "'hardwareVersion': '0x0', 'deviceType': 'IPCamera', 'telecontrolID': '88', 'supportBeep': "
                    "'false', 'supportVideoLoss': 'false', 'firmwareVersionInfo': 'B-R-G5-0', 'manufacturer': "
                    "'hikvision', 'subSerialNumber': 'G41390691'}"),),
         "Hikvision", True, "https://github.com/maciej-or/hikvision_next/issues/58",
         "the body logged after the request URL without its DeviceInfo element name; cut after subSerialNumber "
         "(the quoted line goes on) and closed"),
    Case("hikvision-next-log-nvr-deviceinfo-among-other-lines",
         (("other", "2023-07-02 09:41:53.896 DEBUG (MainThread) [custom_components.hikvision_next.isapi] [PUT] "
                    "http://192.168.17.205/ISAPI/Event/notification/httpHosts {'ResponseStatus': {'@version': '2.0', "
                    "'@xmlns': 'http://www.isapi.org/ver20/XMLSchema', 'statusCode': '1', 'statusString': 'OK', "
                    "'subStatusCode': 'ok'}}\n2023-07-02 09:41:54.371 DEBUG (MainThread) "
                    "[custom_components.hikvision_next.isapi] http://192.168.17.205/ISAPI/System/deviceInfo "
                    "{'@version': '2.0', '@xmlns': 'http://www.isapi.org/ver20/XMLSchema', 'deviceName': "
                    "'Network Video Recorder', 'deviceID': '48473336-3939-3233-3034-2428fd22c319', 'model': "
                    "'DS-7608NI-I2/8P'}"),),
         "Hikvision", None, "https://github.com/maciej-or/hikvision_next/issues/67",
         "two lines of the log; the deviceInfo line cut after its model and closed"),
    Case("hikvision-next-log-deviceinfo-masked-serial",
         (("other", "2023-07-28 01:40:56.067 DEBUG (MainThread) [custom_components.hikvision_next.isapi] "
                    "http://192.168.1.22/ISAPI/System/deviceInfo {'@version': '2.0', '@xmlns': "
                    "'http://www.hikvision.com/ver20/XMLSchema', 'deviceName': '\u4e66\u623f', 'deviceID': 'xxxx', "
                    "'deviceDescription': 'IPCamera', 'deviceLocation': 'hangzhou', 'systemContact': "
                    "'Hikvision.China', 'model': 'DS-2SC3Q140MY-TE', 'serialNumber': 'xxxx', 'macAddress': 'xxxx', "
                    "'firmwareVersion': 'V5.7.12', 'firmwareReleasedDate': 'build 220819', 'encoderVersion': 'V7.3', "
                    "'encoderReleasedDate': 'build 220727', 'bootVersion': 'V1.3.4', 'bootReleasedDate': '100316', "
                    "'hardwareVersion': '0x0', 'deviceType': 'IPCamera', 'telecontrolID': '86', 'supportBeep': "
                    "'true', 'supportVideoLoss': 'false', 'firmwareVersionInfo': 'B-R-E8-0', 'manufacturer': "
                    "'hikvision', 'subSerialNumber': 'xxxx', 'OEMCode': '1'}"),),
         "Hikvision", None, "https://github.com/maciej-or/hikvision_next/issues/100",
         "the whole logged line; the reporter masked the serial and MAC, so one kind of evidence remains"),
    Case("hikvision-next-log-intercom-deviceinfo",
         (("other", "{'DeviceInfo': {'@version': '2.0', '@xmlns': 'http://www.isapi.org/ver20/XMLSchema', "
                    "'deviceName': 'OUTDOOR STATION', 'deviceID': '7d49925b-4fc7-406b-a0ec-bc5e3359252f', "
                    "'deviceDescription': 'Vis', 'deviceLocation': 'STD-CGI', 'systemContact': 'STD-CGI', 'model': "
                    "'DS-KV8213-WME1(C)', 'serialNumber': 'DS-KV8213-WME1(C)0120230508RRAB0353909', 'macAddress': "
                    "'bc:5e:33:59:25:2f', 'firmwareVersion': 'V2.2.77', 'firmwareReleasedDate': 'build 240515', "
                    "'bootVersion': '33685581', 'bootReleasedDate': '1574159', 'hardwareVersion': '0x0', "
                    "'encoderVersion': 'V2.9', 'encoderReleasedDate': 'build 240223', 'deviceType': 'VIS', "
                    "'subDeviceType': 'villaDoorStation', 'telecontrolID': '88', 'supportBeep': 'true', "
                    "'supportVideoLoss': 'true', 'alarmOutNum': '2', 'alarmInNum': '4', 'RS485Num': '1', "
                    "'customizedInfo': None}}"),),
         "Hikvision", True, "https://github.com/maciej-or/hikvision_next/issues/196",
         "a door station's deviceInfo as the integration logged it, without the log line's prefix"),
    Case("hikvision-nvr-isapi-404-in-a-curl-transcript",
         (("http_header", "* Connected to 192.168.*.* (192.168.*.*) port 80 (#0)\n"
                          "* Server auth using Basic with user 'admin'\n> GET /ISAPI HTTP/1.1\n> Host: 192.168.100.3\n"
                          "> Authorization: Basic authenticationString\n> User-Agent: curl/7.64.0\n> Accept: */*\n"
                          "> \n< HTTP/1.1 404 Not Found\n< Date: Thu, 08 Apr 2021 22:08:25 GMT\n"
                          "< Server: DNVRS-Webs\n< Cache-Control: no-cache\n< Content-Length: 20\n"
                          "< Content-Type: text/html\n< Connection: keep-alive\n< Keep-Alive: timeout=60, max=99\n"
                          "< \n* Connection #0 to host 192.168.*.* left intact\n"),),
         "Hikvision", False, "https://github.com/eu-evops/homebridge-hikvision/issues/2",
         "curl -v against a recorder; the transcript's timer lines left out"),
    Case("isapi-storage-document-std-cgi-namespace",
         (("http_body", '<storage xmlns="http://www.std-cgi.com/ver20/XMLSchema" version="1.0">\n<hddList>\n'
                        '<hdd xmlns="http://www.std-cgi.com/ver20/XMLSchema" version="1.0">\n<id>1</id>\n'
                        '<hddName>hdda</hddName>\n<hddPath/>\n<hddType>SATA</hddType>\n<status>ok</status>\n'
                        '<capacity>3815447</capacity>\n<freeSpace>0</freeSpace>\n<property>RW</property>\n'
                        '</hdd>\n</hddList>\n<nasList></nasList>\n<workMode>quota</workMode>\n</storage>\n'),),
         "Hikvision", False, "https://github.com/CamioCam/rtsp/issues/123",
         "an ArcDyn recorder's /ISAPI/ContentMgmt/Storage answer as the issue quotes it"),
    # --- SNMP values as tools record them ----------------------------------------------------------------------
    Case("hikvision-camera-snmp-recording",
         (("other", "1.3.6.1.4.1.39165.1.1.0|4|DS-2CD2185FWD-I\n1.3.6.1.4.1.39165.1.3.0|4|V5.5.3 build 171025\n"
                    "1.3.6.1.4.1.39165.1.7.0|4|15 PERCENT\n1.3.6.1.4.1.39165.1.8.0|4|0.0 GB\n"
                    "1.3.6.1.4.1.39165.1.9.0|4|0 PERCENT\n1.3.6.1.4.1.39165.1.10.0|4|512 MB\n"
                    "1.3.6.1.4.1.39165.1.11.0|4|83 PERCENT\n1.3.6.1.4.1.39165.1.21.0|4|H.264\n"
                    "1.3.6.1.4.1.39165.1.22.0|4|MJPEG\n"),),
         "Hikvision", False,
         "https://github.com/librenms/librenms/blob/8a1f2da217a1eb28bcba42bf24e94c80dd5e87f8/tests/snmpsim/"
         "hikvision-cam.snmprec",
         "LibreNMS's snmpsim recording of a camera, whole: the model under Hikvision's private MIB"),
    Case("hikvision-recorder-snmp-system-group",
         (("other", "1.3.6.1.2.1.1.1.0|4|Hikvision company products\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.50001\n"
                    "1.3.6.1.2.1.1.3.0|67|85447143\n1.3.6.1.2.1.1.4.0|4|<private>\n1.3.6.1.2.1.1.5.0|4|<private>\n"
                    "1.3.6.1.2.1.1.6.0|4|<private>\n1.3.6.1.4.1.50001.1.1.0|64|192.168.80.94\n"
                    "1.3.6.1.4.1.50001.1.3.0|4|0820160719AARR624053979WCVU\n"),),
         "Hikvision", False,
         "https://github.com/librenms/librenms/blob/e6fd4384e832320b2083be43ea666535d43cf7c2/tests/snmpsim/"
         "hikvision-nvr.snmprec",
         "the recording's first eight lines: the sysDescr names the maker"),
    # --- RTSP answers as client logs print them --------------------------------------------------------------
    Case("hikvision-sdp-without-media-header",
         (("rtsp", "RTSP/1.0 200 OK\nCSeq: 3\nContent-Type: application/sdp\nContent-Length: 651\n\nv=0\n"
                   "o=- 1534930022996637 1534930022996637 IN IP4 192.168.1.4\ns=Media Presentation\ne=NONE\n"
                   "b=AS:5050\nt=0 0\nm=video 0 RTP/AVP 96\nc=IN IP4 0.0.0.0\nb=AS:5000\na=recvonly\n"
                   "a=x-dimensions:1280,720\na=rtpmap:96 H264/90000\n"),),
         "Hikvision", False, "https://github.com/mpromonet/webrtc-streamer/issues/138",
         "the DESCRIBE answer LIVE555 logged, without its control lines and what follows the video track"),
    Case("lorex-doorbell-login-to-realm",
         (("rtsp", "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n"
                   "WWW-Authenticate: Digest realm=\"Login to ND032206020280\", "
                   "nonce=\"00000000000000000000000000000000\"\r\n\r\n"),),
         "Dahua", False, "https://github.com/AlexxIT/go2rtc/issues/1594",
         "a Lorex 2K doorbell's realm, as go2rtc's trace repeats it in the Authorization header it sent back; the 401 "
         "challenge around it is rebuilt (status line, CSeq, a zero nonce)"),
    Case("hikvision-rtsp-401-in-a-frigate-log",
         (("rtsp", "frigate-lab  | 2023-12-18 21:19:41.025755772  [2023-12-18 21:19:41] ffmpeg.fraxinus.detect"
                   "         ERROR   : WWW-Authenticate: Basic realm=\"IP Camera(L4906)\"\n"
                   "frigate-lab  | 2023-12-18 21:19:41.025856725  [2023-12-18 21:19:41] ffmpeg.fraxinus.detect"
                   "         ERROR   : Date:  Mon, Dec 18 2023 21:19:09 GMT\n"
                   "frigate-lab  | 2023-12-18 21:19:41.025969183  [2023-12-18 21:19:41] ffmpeg.fraxinus.detect"
                   "         ERROR   : \n"
                   "frigate-lab  | 2023-12-18 21:19:41.026075515  [2023-12-18 21:19:41] ffmpeg.fraxinus.detect"
                   "         ERROR   : rtsp://*:*@10.43.22.159:554/Streaming/channels/101: Server returned 401 "
                   "Unauthorized (authorization failed)\n"),),
         "Hikvision", False, "https://github.com/blakeblackshear/frigate/issues/9006",
         "ffmpeg's copy of the camera's 401 in Frigate's log (container, time stamp, logger prefix on each line); "
         "the log's later frigate.video lines left out"),
    Case("hikvision-rtsp-401-mac-realm-in-a-tcp-dump",
         (("rtsp", "DESCRIBE rtsp://192.168.1.64/Streaming/Channels/101 RTSP/1.0\nCSeq: 1\nAccept: application/sdp\n"
                   "User-Agent: go2rtc/1.9.14\n\nRTSP/1.0 401 Unauthorized\nCSeq: 1\nWWW-Authenticate: Digest "
                   "realm=\"b4a38201a73f\", nonce=\"739ee6c7ea93532ef87d5f319b155537\", stale=\"FALSE\"\n"
                   "WWW-Authenticate: Basic realm=\"b4a38201a73f\"\nDate:  Sat, Apr 25 2026 00:05:48 GMT\n"),),
         "Hikvision", True, "https://github.com/AlexxIT/go2rtc/issues/2232",
         "a DS-2CD1148-I/B's first exchange in the reporter's TCP dump: the realm is the camera's MAC address"),
    Case("ezviz-sdp-in-a-go2rtc-trace",
         (("rtsp", "21:34:57.305 TRC [rtsp] client response:\nRTSP/1.0 200 OK\n"
                   "Content-Base: rtsp://192.168.1.58:554/h264_stream/\nCseq: 2\nContent-Type: application/sdp\n"
                   "Content-Length: 480\n\nv=0\no=- 1676583297494652 1676583297494652 IN IP4 192.168.1.58\n"
                   "s=Media Presentation\ne=NONE\nb=AS:5050\nt=0 0\na=control:rtsp://192.168.1.58:554/h264_stream/\n"
                   "m=video 0 RTP/AVP 96\nb=AS:5000\na=control:rtsp://192.168.1.58:554/h264_stream/trackID=1\n"
                   "a=rtpmap:96 H265/90000\na=fmtp:96 profile-level-id=420029; packetization-mode=1; "
                   "sprop-parameter-sets=\na=Media_header:MEDIAINFO=494D4B48010100000400050000000000000000000000000000"
                   "000000000000000000000000000000;\na=appversion:1.0\n"),),
         "Hikvision", False, "https://github.com/AlexxIT/go2rtc/issues/264",
         "an EZVIZ C6N (a Hikvision label) as go2rtc's trace prints its DESCRIBE answer; the trace's other "
         "messages left out"),
    Case("lorex-recorder-login-to-realm",
         (("http_header", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Login to ND021811019863\","
                          "qop=\"auth\",nonce=\"211955164\",opaque=\"9a206a55e922ee7900769ec61ae49bf0c1f30242\"\r\n\r\n"),),
         "Dahua", False,
         "https://github.com/kushagharahi/homebridge-dahua-alerts/blob/48b38831072d064182b6979e3fbaa0aa3640f332/"
         "src/dahua.ts",
         "the WWW-Authenticate value the plugin's comment quotes from the recorders it was written for (its README: "
         "Dahua and Lorex; the ND serial is Lorex's), with a status line as framing"),
    # --- RTSP answers of makers other than Hikvision and Dahua, and of shared stacks that name none (issue 9) ---
    Case("xiongmai-h264dvr-options-with-lower-case-cseq",
         (("rtsp", "RTSP/1.0 200 OK\nServer: H264DVR 1.0\ncseq: 1\n"
                   "Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, GET_PARAMETER, PLAY, PAUSE\n\n"),),
         "Xiongmai", False,
         "https://github.com/AxisCommunications/media-stream-library-js/blob/e146e60f28f2a310072d42d317364fe2f21ba829/"
         "streams/tests/protocols.fixtures.ts",
         "the OPTIONS answer the library's issue #310 reported, kept as a fixture (its lines joined with \\n here)"),
    Case("hipcam-realserver-options-names-no-maker",
         (("rtsp", "RTSP/1.0 200 OK\nCSeq: 1\nServer: Hipcam RealServer/V1.0\n"
                   "Public: OPTIONS,DESCRIBE,SETUP,TEARDOWN,PLAY,SET_PARAMETER,GET_PARAMETER\n"),),
         None, None, "https://github.com/curl/curl/issues/7323",
         "curl -v's '< ' lines of the camera's answer, the markers removed: HiSilicon's reference server, on many "
         "labels"),
    Case("hisilicon-streaming-server-on-a-foscam-c1-names-no-maker",
         (("rtsp", "RTSP/1.0 200 OK\r\nServer: Hisilicon Streaming Media Server/1.0.0(Jul 30 2015)\r\nCseq: 0\r\n"
                   "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n\r\n"),),
         None, None, "https://github.com/luisiam/homebridge-foscamcamera/issues/6",
         "the decoded chunk rtsp-stream logged; a Foscam sends the SDK's banner unchanged, which names no maker"),
    Case("hiipcam-vodserver-describe-of-a-foscam-fi8620-names-no-maker",
         (("rtsp", "RTSP/1.0 200 OK\nServer: HiIpcam/V100R003 VodServer/1.0.0\nCseq: 3\nContent-Type: application/sdp\n"
                   "x-Accept-Retransmit: our-retransmit\nx-Accept-Dynamic-Rate: 1\nCache-Control: must-revalidate\n"
                   "Content-length: 346\nContent-Base: rtsp://192.168.253.97:554/11/\n\nv=0\n"
                   "o=StreamingServer 3331435948 1116907222000 IN IP4 192.168.253.97\ns=\\11\nc=IN IP4 0.0.0.0\n"
                   "b=AS:2056\nt=0 0\na=range:npt=now-\na=control:*\nm=video 0 RTP/AVP 96\nb=AS:2048\n"
                   "a=control:trackID=0\na=rtpmap:96 H264/90000\n"),),
         None, None, "https://github.com/ZoneMinder/zoneminder/issues/841",
         "the DESCRIBE header and SDP ZoneMinder's debug log printed, put back together and cut after the rtpmap"),
    Case("reolink-sdp-with-its-bc-tool-line",
         (("rtsp", "v=0\no=- 1680614126554766 1 IN IP4 192.168.0.3\ns=Session streamed by \"preview\"\nt=0 0\n"
                   "a=tool:BC Streaming Media v202210012022.10.01\na=type:broadcast\na=control:*\na=range:npt=now-\n"
                   "a=x-qt-text-nam:Session streamed by \"preview\"\nm=video 0 RTP/AVP 96\nc=IN IP4 0.0.0.0\n"
                   "b=AS:8192\na=rtpmap:96 H264/90000\n"),),
         "Reolink", False,
         "https://github.com/AlexxIT/go2rtc/blob/b5f59e1699ed79f87ed3eafc1310577491d74e8e/pkg/rtsp/rtsp_test.go",
         "TestBugSDP3's SDP, cut after its first rtpmap"),
    Case("tapo-c200-describe-names-tp-link",
         (("rtsp", "RTSP/1.0 200 OK\nCSeq: 2\nDate: Wed, May 24 2023 02:15:53 GMT\n"
                   "Content-Base: rtsp://10.0.0.110/stream1/\nContent-Type: application/sdp\nContent-Length: 562\n\n"
                   "v=0\no=- 62713305 1 IN IP4 10.0.0.110\ns=Session streamed by \"TP-LINK RTSP Server\"\ni=stream1\n"
                   "t=0 0\na=tool:TP-LINK Streaming Media v2015.05.12\na=type:broadcast\na=control:*\n"),),
         "TP-Link", False, "https://github.com/koush/scrypted/issues/796",
         "the camera's DESCRIBE answer in Scrypted's log, its '[Rebroadcast Plugin]: ' prefixes and 'sdp ' marker "
         "removed and cut after a=control"),
]


def _identify(case: Case):  # type: ignore[no-untyped-def]
    observations = [Observation(id=f"{case.id}-{i}", protocol=protocol, response=response, device=case.id)
                    for i, (protocol, response) in enumerate(case.records)]
    (identity,) = IDENTIFIER.identify_all(observations)
    return identity


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_public_answer_names_the_right_maker(case: Case) -> None:
    identity = _identify(case)
    assert identity.manufacturer == case.maker, (identity.manufacturer, identity.unknown, identity.evidence)
    if case.certain is not None and case.maker is not None:
        assert bool(identity.certain_because) == case.certain, (identity.certain_because, identity.probable_because)


def test_every_case_is_sourced() -> None:
    assert all(c.source.startswith("https://") for c in CASES)
    assert len({c.id for c in CASES}) == len(CASES)


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
