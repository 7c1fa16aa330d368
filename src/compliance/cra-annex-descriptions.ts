/**
 * What each point of Commission Implementing Regulation (EU) 2025/2392 makes decisive for its
 * category of Regulation (EU) 2024/2847, Annex III or IV — summarised in our words, not the
 * Regulation's text — and the copies of the Regulation each summary was checked against
 * (docs/design/cra.md "Data sources"). The binding text is the Official Journal's.
 */

/**
 * The copies of Implementing Regulation (EU) 2025/2392 the summaries were read from and checked
 * against. The Official Journal's own files could not be read here past the recitals, so these are
 * third parties' copies; the first three are independent of each other (one from the Official
 * Journal's PDF, two separate extractions of the XHTML the Publications Office serves) and agree,
 * sentence for sentence, on the text of all 26 points.
 */
export const descriptionSources = Object.freeze({
  'oj-pdf-text': Object.freeze({
    what: "a text conversion of the Official Journal's English PDF (OJ L, 2025/2392, 1.12.2025, 11 pages, its Annexes from page 3); its extraction splits some words and drops some digits after a slash, so it was compared whitespace-insensitively",
    where:
      'https://github.com/sbd-community/handbook, source-material/CRA_OJ_L_202502392_EN_TXT.md, added in commit 23f36e02db40593f5d0a6262e9214f78366dfab0 (2025-12-02), unchanged at 813083ab14d2b0ac274d73d3e80b2388d32e6fa4',
    sha256: '9774163c3bad1316c2e02fc18a484cff834bd1e0c67c0637c9247e17043f2227',
    covers: 'every row of every point',
  }),
  'eurlex-json': Object.freeze({
    what: 'an extraction, by article and annex, of the English text EUR-Lex serves for CELEX 32025R2392',
    where:
      'https://github.com/Ansvar-Systems/EU_compliance_MCP, data/seed/cra-impl-important-critical-products.json at commit f39d21ecfcbd11a158ea967ddb4b74eb2cc2433c (34,042 characters)',
    // read through the code index only: the snapshot of that repository that could be fetched (2026-02-14) predates the file
    sha256: null,
    covers: 'every row of every point',
  }),
  'eurlex-extract': Object.freeze({
    what: 'an extraction of the English XHTML the Publications Office serves for CELEX 32025R2392 (upstream bytes pinned by SHA-256 8dd48c7990527289ea46b5bd2f3c4dbbac95a89d99de2f3aa5388c3bc9398e0e, 78,082 bytes)',
    where:
      'https://github.com/Killerz007/cra-readiness-skill, references/cra-product-categories.generated.json at commit 07aade9c72d5fab8208e4efff708b00ea18bbb22',
    sha256: null,
    covers: 'the first table row of each point (the first kind of product of a point that joins several)',
  }),
  'oj-copy-web': Object.freeze({
    what: "the Official Journal's text as reproduced, with its OJ reference, by springlex.eu (Annex I in English, Annex II in German) and securibase.com (Annex I in French)",
    where:
      'https://www.springlex.eu/de/packages/cra/tdpc-regulation/annex-2 and the pages beside it, as stored by the search service (each cut after its first points)',
    sha256: null,
    covers: 'Annex I, Class I points 1, 2 (its opening sentences), 3, 5, 6, 8; Annex II points 1, 2',
  }),
});

export type DescriptionSourceId = keyof typeof descriptionSources;

export interface PointSummary {
  /** what the point makes decisive and the examples it names as included, in our words */
  readonly text: string;
  readonly checkedAgainst: readonly DescriptionSourceId[];
}

// every point was read whole in 'oj-pdf-text' and 'eurlex-json', its first row also in 'eurlex-extract'
const copies = Object.freeze(['oj-pdf-text', 'eurlex-json', 'eurlex-extract'] as const);
const copiesAndWeb = Object.freeze([...copies, 'oj-copy-web'] as const);

/**
 * Keyed by entry id (`III-I-12`: Annex III class I point 12, described in Annex I, Class I, point 12
 * of 2025/2392; `IV-3`: Annex IV point 3, described in Annex II, point 3). A point that joins several
 * kinds of product is summarised kind by kind. Not listed: not read.
 */
export const pointSummaries: Readonly<Record<string, PointSummary>> = Object.freeze({
  'III-I-1': {
    checkedAgainst: copiesAndWeb,
    text: 'Products whose core functionality is to authenticate or authorise natural persons, legal persons, devices or systems, possibly also managing the lifecycle of their identity credentials (registration, provisioning, maintenance, deregistration); this includes access management that controls their access to digital resources or physical locations. Privileged access management: controlling and monitoring access rights to IT or OT systems and sensitive information within an organisation, including differentiated policies for privileged users. Named as included: authentication and access control readers, biometric readers, single sign-on, federated identity management, one-time password and (multi-factor) authentication software, hardware authentication devices such as TAN generators.',
  },
  'III-I-2': {
    checkedAgainst: copiesAndWeb,
    text: 'Software whose core functionality is to let end users access, render and interact with web content and services hosted on networked servers (such as on the Internet), typically with a browser engine interpreting markup such as HTML, support for web protocols (HTTP, HTTPS), the execution of scripts, the handling of user input and the storage of website data such as cookies. Named as included: standalone browser applications, embedded browsers meant to be integrated into another system or application, and browsers with AI agent integration.',
  },
  'III-I-3': {
    checkedAgainst: copiesAndWeb,
    text: 'Products whose core functionality is to store passwords, on the device or on a remote server, including generating and sharing them and integrating with local or third-party applications that use them. Named as included: local password managers, browser-extension password managers, enterprise password managers and hardware-based password managers.',
  },
  'III-I-4': {
    checkedAgainst: copies,
    text: 'Software, commonly called antivirus or antimalware, whose core functionality is to detect or search for malicious software or code on devices, or to remove or quarantine it, so as to keep those devices available and their data intact and confidential; malicious software means software with features or capabilities that can harm the user or the system, directly or indirectly, such as viruses, worms, ransomware, spyware and trojans. Named as included: real-time and on-demand scanning, rootkit detection, and rescue disks whose core functionality is searching for, removing or quarantining malicious software.',
  },
  'III-I-5': {
    checkedAgainst: copiesAndWeb,
    text: 'Products whose core functionality is to establish an encrypted logical tunnel built from the resources of a physical or virtual network. Named as included: VPN clients, VPN servers and VPN gateways.',
  },
  'III-I-6': {
    checkedAgainst: copiesAndWeb,
    text: 'Products whose core functionality is to manage connected network elements (servers, routers, switches, workstations, printers, mobile devices) by monitoring them and controlling their network operations and configuration. Named as included: end-to-end management systems and dedicated configuration management systems such as software-defined networking controllers.',
  },
  'III-I-7': {
    checkedAgainst: copies,
    text: 'Products whose core functionality is to collect data from multiple sources, analyse and correlate it, and present the result as actionable information for security purposes such as detecting threats and incidents, forensic analysis or compliance.',
  },
  'III-I-8': {
    checkedAgainst: copiesAndWeb,
    text: 'Software whose core functionality is to manage the initial start-up of a system after power-on or restart: initialising hardware, loading or handing control to the operating system environment or system resources, and selecting boot options. Named as included: UEFI firmware, single-stage and multi-stage boot loaders.',
  },
  'III-I-9': {
    checkedAgainst: copies,
    text: 'Products used as part of a public key infrastructure whose core functionality is to manage the validation, creation, issuance, distribution, status publication, renewal or revocation of digital certificates, or the generation, storage, escrow, exchange, destruction or rotation of the cryptographic keys that go with those certificates. Named as included: key management systems, certificate management systems, OCSP responders and all-in-one PKI solutions.',
  },
  'III-I-10': {
    checkedAgainst: copies,
    text: 'Physical network interfaces: products that connect a device directly to a network through an API offered by the interface drivers (typically at the data link layer), with a hardware adapter to the transmission medium and its firmware. Virtual network interfaces: products that connect a device to a network, directly or indirectly, through an API emulating that of a physical interface driver. Named as included: wired and wireless network interface cards, controllers and adapters (Wi-Fi, Ethernet, IrDA, USB, Bluetooth, NearLink, Zigbee, fieldbus) and purely virtual standalone products such as virtual network interface cards, container network interfaces and VPN interfaces.',
  },
  'III-I-11': {
    checkedAgainst: copies,
    text: 'Software whose core functionality is to provide an abstract interface to the underlying hardware and to control the execution of software, possibly with services such as managing and configuring computing resources, scheduling, input-output control, data management and an interface through which applications use system resources and peripherals. Named as included: real-time, general-purpose and special-purpose operating systems.',
  },
  'III-I-12': {
    checkedAgainst: copies,
    text: 'Routers: products that establish and control the flow of data between different networks by choosing paths or routes with routing protocols and algorithms, typically at the network layer; named as included: wired and wireless routers, virtual routers, and routers with or without a modem. Modems intended for the connection to the internet: hardware products that convert between analogue and digital signals by digital modulation and demodulation for IP-based communication; named as included: fibre, DSL, cable (DOCSIS), satellite and cellular modems. Switches: products that connect networked devices by forwarding packets and that have a management plane, typically at the data link or network layer; named as included: managed, smart, multilayer and virtual security switches, programmable switches for software-defined networking, and bridges such as wireless access points.',
  },
  'III-I-13': {
    checkedAgainst: copies,
    text: 'Integrated circuits that carry out central processing functions relying on external memory and peripherals (microcode and low-level firmware included) and that also provide security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection mechanisms, meant to secure other products, networks or services beyond the microprocessor itself, for example a secure boot chain, virtualisation or secure communication interfaces.',
  },
  'III-I-14': {
    checkedAgainst: copies,
    text: 'Integrated circuits that carry out central processing functions with integrated memory that makes them programmable, and typically other peripherals (microcode and low-level firmware included), and that also provide security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection mechanisms, meant to secure other products, networks or services beyond the microcontroller itself, for example a secure boot chain, virtualisation or secure communication interfaces.',
  },
  'III-I-15': {
    checkedAgainst: copies,
    text: 'ASICs: integrated circuits fully or partly custom-designed to perform a specific function or application. FPGAs: integrated circuits built from a matrix of configurable logic blocks that can be reprogrammed after manufacture to perform a specific function or application. Either (microcode and low-level firmware included) is in the category when it also provides security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection, meant to secure other products, networks or services beyond the circuit itself, for example a secure boot chain, virtualisation or secure communication interfaces.',
  },
  'III-I-16': {
    checkedAgainst: copies,
    text: 'Products that communicate on the public Internet, directly or through other equipment, process demands, tasks or questions given as natural-language prompts (spoken or written) and, on that basis, give access to other services or control the functions of connected devices in the home. Named as included: smart speakers with an integrated virtual assistant and standalone virtual assistants that fit the description.',
  },
  'III-I-17': {
    checkedAgainst: copies,
    text: 'Products that protect the physical security of consumers in a residential setting and can be controlled or managed remotely from other systems, together with the hardware and software that centrally control such products. Named as included: smart door locking devices, baby monitoring systems, alarm systems and home security cameras.',
  },
  'III-I-18': {
    checkedAgainst: copies,
    text: 'Toys covered by Directive 2009/48/EC that communicate on the public Internet, directly or through other equipment, and either embed technologies for inbound and outbound communication such as a keyboard, microphone, speaker or camera (social interactive features) or have technologies that track or infer where the toy or its user is (location tracking features). A toy that only senses how close its user or other toys are, with sensing technologies, has no location tracking features.',
  },
  'III-I-19': {
    checkedAgainst: copies,
    text: 'Health-monitoring wearables: products worn on the body, directly or through clothing or accessories, that can regularly or continuously sense and further process information relevant to the health of the user, body metrics included, excluding products within Regulation (EU) 2017/745 or 2017/746; named as included: fitness trackers, smartwatches, smart jewellery, smart clothing and sports apparel that fit the description. Wearables for children: products that can be worn or placed on the body of a person under 14, directly or through clothing or accessories; named as included: child safety wearables.',
  },
  'III-II-1': {
    checkedAgainst: copies,
    text: 'Hypervisors: software that abstracts or allocates computing resources and runs, manages and orchestrates virtual machines logically separated from each other or from the physical hardware, on bare metal, on an operating system or nested in another virtual machine; a virtual machine is a software-defined, separated computing environment with virtualised hardware resources, typically hosting its own operating system; named as included: type 1, type 2 and hybrid hypervisors. Container runtime systems: software that runs containers as isolated processes on a single host operating system and manages their execution and lifecycle, allocating resources and letting individual containers be managed and orchestrated; a container is a software-based execution environment packaging one or more software components with their dependencies so that it runs independently and consistently. The point names no examples of container runtime systems.',
  },
  'III-II-2': {
    checkedAgainst: copies,
    text: 'Firewalls: products that protect a connected network or system from unauthorised access by monitoring and restricting the traffic to and from that network; named as included: network firewalls and application firewalls such as web application firewalls or filters, and anti-spam gateways. Intrusion detection systems: products that watch traffic, once it is inside the network environment, for suspicious activity and detect or identify that an intrusion on a connected network or system was attempted, is under way or has happened. Intrusion prevention systems: products built from an intrusion detection system that also respond actively to the intrusion. Named as included for both: network-based and host-based systems.',
  },
  'III-II-3': {
    checkedAgainst: copies,
    text: 'Microprocessors with security-related functionalities as described in Class I, point 13, that also provide tamper evidence, resistance or response and are designed to give protection at AVA_VAN level 2 or 3 as set out in the Common Criteria and the Common Evaluation Methodology.',
  },
  'III-II-4': {
    checkedAgainst: copies,
    text: 'Microcontrollers with security-related functionalities as described in Class I, point 14, that also provide tamper evidence, resistance or response and are designed to give protection at AVA_VAN level 2 or 3 as set out in the Common Criteria and the Common Evaluation Methodology.',
  },
  'IV-1': {
    checkedAgainst: copiesAndWeb,
    text: 'Hardware products built from several discrete components inside a physical hardware enclosure that securely store, process or manage sensitive data or perform cryptographic operations, and that detect, resist or respond to tampering as a defence against physical attacks. Named as included, where they fit that description: physical payment terminals, hardware security modules that generate and manage cryptographic material, tachographs.',
  },
  'IV-2': {
    checkedAgainst: copiesAndWeb,
    text: 'Gateways that control the communication between the components of a smart metering system (Directive (EU) 2019/944, Art 2(23)), or components connected to it, and authorised third parties such as utilities: they collect, process and store metering or personal data, protect data flows with specific cryptographic functions (encryption and decryption), include firewall functions and provide means to control other devices. Named as included: gateways of smart metering systems for electricity; gateways of other smart metering systems (gas, heat) may be covered too.',
  },
  'IV-3': {
    checkedAgainst: copies,
    text: 'Secure elements: microcontrollers or microprocessors with security-related functionalities, tamper evidence, resistance or response included, that typically store, process or manage cryptographic operations or sensitive data such as identity or payment credentials and are designed to give protection of at least AVA_VAN.4 (Common Criteria or Common Evaluation Methodology); discrete silicon or integrated into a system on chip, possibly with an application environment or operating system and one or more applications; named as included: Trusted Platform Modules and embedded UICCs. Smartcards or similar devices: secure elements set in a carrier material such as plastic or wood, shaped as a card or otherwise; named as included: identity and travel documents, qualified signature cards, replaceable UICCs, physical payment and access cards, digital tachograph cards, and wrist bands with an integrated payment secure element.',
  },
});
