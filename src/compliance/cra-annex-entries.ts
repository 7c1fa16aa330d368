import type { CraClass } from '../pki/records.types.ts';

/**
 * The product categories of Regulation (EU) 2024/2847 (the Cyber Resilience Act), Annex III
 * (important products, classes I and II) and Annex IV (critical products), each with its title as
 * the Official Journal prints it (footnote markers left out) and where it comes from.
 *
 * The technical description of each category — what decides whether a product has its core
 * functionality (Art 7(1), Art 8(1)) — is in Commission Implementing Regulation (EU) 2025/2392:
 * its Annex I for Annex III, its Annex II for Annex IV, one point per category, numbered as the
 * Regulation's own. Each entry cites its point (`technicalDescription`) and carries `description`:
 * a summary in our words of what the point makes decisive, or null where the point's text could not
 * be read when this was written (docs/design/cra.md "Data sources"). The binding text is the
 * Official Journal's.
 */
export interface AnnexEntry {
  /** `III-I-13`: Annex III class I point 13; `III-II-2`; `IV-3`: Annex IV point 3. */
  readonly id: string;
  readonly annex: 'III' | 'IV';
  /** Annex III's class; null for Annex IV */
  readonly class: 'I' | 'II' | null;
  readonly point: number;
  /** the product category this entry makes a product */
  readonly category: Exclude<CraClass, 'default'>;
  readonly title: string;
  /** the provision, e.g. `Regulation (EU) 2024/2847, Annex III, class I, point 13` */
  readonly source: string;
  /** the point of Implementing Regulation (EU) 2025/2392 that describes the category */
  readonly technicalDescription: string;
  /**
   * What that point makes decisive — the core functionality that puts a product in the category —
   * summarised in our words (not the Regulation's text); where only part of the point was read
   * (`partlyDescribed`), its last sentence names the part it leaves out; null: the point was not read.
   */
  readonly description: string | null;
}

export const CRA_OJ_REFERENCE = 'OJ L, 2024/2847, 20.11.2024';
export const CRA_ELI = 'http://data.europa.eu/eli/reg/2024/2847/oj';
export const TECHNICAL_DESCRIPTIONS_OJ_REFERENCE = 'OJ L, 2025/2392, 1.12.2025';
export const TECHNICAL_DESCRIPTIONS_ELI = 'http://data.europa.eu/eli/reg_impl/2025/2392/oj';

// Regulation (EU) 2024/2847, Annex III, class I, points 1-19.
const annexIIIClassI = [
  'Identity management systems and privileged access management software and hardware, including authentication and access control readers, including biometric readers',
  'Standalone and embedded browsers',
  'Password managers',
  'Software that searches for, removes, or quarantines malicious software',
  'Products with digital elements with the function of virtual private network (VPN)',
  'Network management systems',
  'Security information and event management (SIEM) systems',
  'Boot managers',
  'Public key infrastructure and digital certificate issuance software',
  'Physical and virtual network interfaces',
  'Operating systems',
  'Routers, modems intended for the connection to the internet, and switches',
  'Microprocessors with security-related functionalities',
  'Microcontrollers with security-related functionalities',
  'Application specific integrated circuits (ASIC) and field-programmable gate arrays (FPGA) with security-related functionalities',
  'Smart home general purpose virtual assistants',
  'Smart home products with security functionalities, including smart door locks, security cameras, baby monitoring systems and alarm systems',
  'Internet connected toys covered by Directive 2009/48/EC of the European Parliament and of the Council that have social interactive features (e.g. speaking or filming) or that have location tracking features',
  'Personal wearable products to be worn or placed on a human body that have a health monitoring (such as tracking) purpose and to which Regulation (EU) 2017/745 or (EU) 2017/746 do not apply, or personal wearable products that are intended for the use by and for children',
] as const;

// Regulation (EU) 2024/2847, Annex III, class II, points 1-4.
const annexIIIClassII = [
  'Hypervisors and container runtime systems that support virtualised execution of operating systems and similar environments',
  'Firewalls, intrusion detection and prevention systems',
  'Tamper-resistant microprocessors',
  'Tamper-resistant microcontrollers',
] as const;

// Regulation (EU) 2024/2847, Annex IV, points 1-3.
const annexIV = [
  'Hardware Devices with Security Boxes',
  'Smart meter gateways within smart metering systems as defined in Article 2, point (23) of Directive (EU) 2019/944 of the European Parliament and of the Council and other devices for advanced security purposes, including for secure cryptoprocessing',
  'Smartcards or similar devices, including secure elements',
] as const;

/**
 * Summaries of the points of Implementing Regulation (EU) 2025/2392 (docs/design/cra.md "Data sources"
 * says which source gave which): the deciding criteria, in our words. Each is keyed by its entry with
 * the point and where it was read in a comment. Where the copy read gave only part of a point, the
 * summary ends by naming the part it does not cover. Not listed: not read.
 *
 * Sources, as named in the comments:
 * - [OJ-copy]: the Official Journal's English text as reproduced with its OJ reference by springlex.eu
 *   (Annex I EN, Annex II DE) and securibase.com (Annex I FR).
 * - [extract]: a third party's extraction of the English XHTML the Publications Office serves for CELEX
 *   32025R2392 (78,082 bytes, SHA-256 8dd48c79...8e0e, fetched 2026-10-06), in the public repository
 *   Killerz007/cra-readiness-skill, file references/cra-product-categories.generated.json (commit 07aade9c).
 *   A secondary copy, not the Official Journal; on the eight points also read in [OJ-copy] it says what
 *   those summaries say. Its extractor keeps only a point's first table row, so for seven categories that
 *   join several kinds of product it carries the first kind alone; those summaries say what they lack.
 * - [standard]: the scope or category clause of a draft harmonised standard that restates the point.
 */
const descriptions: Readonly<Record<string, string>> = {
  // Annex I, Class I, point 1 [OJ-copy]; [extract] agrees
  'III-I-1':
    'Products whose core functionality is to authenticate or authorise natural persons, legal persons, devices or systems, possibly also managing the lifecycle of their identity credentials (registration, provisioning, maintenance, deregistration); this includes access management that controls their access to digital resources or physical locations. Privileged access management: controlling and monitoring access rights to IT or OT systems and sensitive information within an organisation, including differentiated policies for privileged users. Named as included: authentication and access control readers, biometric readers, single sign-on, federated identity management, one-time password and (multi-factor) authentication software, hardware authentication devices such as TAN generators.',
  // Annex I, Class I, point 2: its opening sentences [OJ-copy]; the whole point [extract]
  'III-I-2':
    'Software whose core functionality is to let end users access, render and interact with web content and services hosted on networked servers (such as on the Internet), typically with a browser engine interpreting markup such as HTML, support for web protocols (HTTP, HTTPS), the execution of scripts, the handling of user input and the storage of website data such as cookies. Named as included: standalone browser applications, embedded browsers meant to be integrated into another system or application, and browsers with AI agent integration.',
  // Annex I, Class I, point 3 [OJ-copy; standard: the CEN/CENELEC and ETSI drafts on password managers]; [extract] agrees
  'III-I-3':
    'Products whose core functionality is to store passwords, on the device or on a remote server, including generating and sharing them and integrating with local or third-party applications that use them. Named as included: local password managers, browser-extension password managers, enterprise password managers and hardware-based password managers.',
  // Annex I, Class I, point 4 [extract]
  'III-I-4':
    'Software, commonly called antivirus or antimalware, whose core functionality is to detect or search for malicious software or code on devices, or to remove or quarantine it, so as to keep those devices available and their data intact and confidential; malicious software means software with features or capabilities that can harm the user or the system, directly or indirectly, such as viruses, worms, ransomware, spyware and trojans. Named as included: real-time and on-demand scanning, rootkit detection, and rescue disks whose core functionality is searching for, removing or quarantining malicious software.',
  // Annex I, Class I, point 5 [OJ-copy; standard: ETSI EN 304 620-1 draft]; [extract] agrees
  'III-I-5': 'Products whose core functionality is to establish an encrypted logical tunnel built from the resources of a physical or virtual network.',
  // Annex I, Class I, point 6 [OJ-copy; standard: ETSI EN 304 621 draft]; [extract] agrees
  'III-I-6':
    'Products whose core functionality is to manage connected network elements (servers, routers, switches, workstations, printers, mobile devices) by monitoring them and controlling their network operations and configuration. Named as included: end-to-end management systems and dedicated configuration management systems such as software-defined networking controllers.',
  // Annex I, Class I, point 7 [extract; standard: ETSI EN 304 622 draft, product overview, restates it]
  'III-I-7':
    'Products whose core functionality is to collect data from multiple sources, analyse and correlate it, and present the result as actionable information for security purposes such as detecting threats and incidents, forensic analysis or compliance.',
  // Annex I, Class I, point 8 [OJ-copy; standard: the CEN/CENELEC and ETSI drafts on boot managers]; [extract] agrees
  'III-I-8':
    'Software whose core functionality is to manage the initial start-up of a system after power-on or restart: initialising hardware, loading or handing control to the operating system environment or system resources, and selecting boot options. Named as included: UEFI firmware, single-stage and multi-stage boot loaders.',
  // Annex I, Class I, point 9 [extract]
  'III-I-9':
    'Products used as part of a public key infrastructure whose core functionality is to manage the validation, creation, issuance, distribution, status publication, renewal or revocation of digital certificates, or the generation, storage, escrow, exchange, destruction or rotation of the cryptographic keys that go with those certificates. Named as included: key management systems, certificate management systems, OCSP responders and all-in-one PKI solutions.',
  // Annex I, Class I, point 10 [extract; standard: ETSI EN 304 625 draft restates both definitions]
  'III-I-10':
    'Physical network interfaces: products that connect a device directly to a network through an API offered by the interface drivers (typically at the data link layer), with a hardware adapter to the transmission medium and its firmware. Virtual network interfaces: products that connect a device to a network, directly or indirectly, through an API emulating that of a physical interface driver. Named as included: wired and wireless network interface cards, controllers and adapters (Wi-Fi, Ethernet, IrDA, USB, Bluetooth, NearLink, Zigbee, fieldbus) and purely virtual standalone products such as virtual network interface cards, container network interfaces and VPN interfaces.',
  // Annex I, Class I, point 11 [extract]
  'III-I-11':
    'Software whose core functionality is to provide an abstract interface to the underlying hardware and to control the execution of software, possibly with services such as managing and configuring computing resources, scheduling, input-output control, data management and an interface through which applications use system resources and peripherals. Named as included: real-time, general-purpose and special-purpose operating systems.',
  // Annex I, Class I, point 12 [extract: its paragraphs on routers only]
  'III-I-12':
    'Routers: products whose core functionality is to establish and control the flow of data between different networks by choosing paths or routes with routing protocols and algorithms, typically at the network layer. Named as included: wired and wireless routers, virtual routers, and routers with or without a modem. The copy read gives only the point on routers: what it says of modems and switches is not summarised here.',
  // Annex I, Class I, point 13 [extract]
  'III-I-13':
    'Integrated circuits that carry out central processing functions relying on external memory and peripherals (microcode and low-level firmware included) and that also provide security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection mechanisms, meant to secure other products, networks or services beyond the microprocessor itself, for example a secure boot chain, virtualisation or secure communication interfaces.',
  // Annex I, Class I, point 14 [extract]
  'III-I-14':
    'Integrated circuits that carry out central processing functions with integrated memory that makes them programmable, and typically other peripherals (microcode and low-level firmware included), and that also provide security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection mechanisms, meant to secure other products, networks or services beyond the microcontroller itself, for example a secure boot chain, virtualisation or secure communication interfaces.',
  // Annex I, Class I, point 15 [extract: its paragraph on ASICs only]
  'III-I-15':
    'ASICs: integrated circuits fully or partly custom-designed to perform a specific function or application (microcode and low-level firmware included) that also provide security-related functionalities, such as encryption, authentication, secure key storage, random number generation, a trusted execution environment or other hardware protection, meant to secure other products, networks or services beyond the ASIC itself, for example a secure boot chain, virtualisation or secure communication interfaces. The copy read gives only the point on ASICs: what it says of FPGAs is not summarised here.',
  // Annex I, Class I, point 16 [extract]
  'III-I-16':
    'Products that communicate on the public Internet, directly or through other equipment, process demands, tasks or questions given as natural-language prompts (spoken or written) and, on that basis, give access to other services or control the functions of connected devices in the home. Named as included: smart speakers with an integrated virtual assistant and standalone virtual assistants that fit the description.',
  // Annex I, Class I, point 17 [extract]
  'III-I-17':
    'Products that protect the physical security of consumers in a residential setting and can be controlled or managed remotely from other systems, together with the hardware and software that centrally control such products. Named as included: smart door locking devices, baby monitoring systems, alarm systems and home security cameras.',
  // Annex I, Class I, point 18 [extract: its paragraph on social interactive features only]
  'III-I-18':
    'Toys with social interactive features: toys covered by Directive 2009/48/EC that communicate on the public Internet, directly or through other equipment, and embed technologies for inbound and outbound communication such as a keyboard, microphone, speaker or camera. The copy read gives only the point on social interactive features: what it says of location tracking features is not summarised here.',
  // Annex I, Class I, point 19 [extract: its paragraphs on health monitoring only]
  'III-I-19':
    'Health-monitoring wearables: products worn on the body, directly or through clothing or accessories, that can regularly or continuously sense and further process information relevant to the health of the user, body metrics included, excluding products within Regulation (EU) 2017/745 or 2017/746. Named as included: fitness trackers, smartwatches, smart jewellery, smart clothing and sports apparel that fit the description. The copy read gives only the point on health monitoring: what it says of wearables intended for use by and for children is not summarised here.',
  // Annex I, Class II, point 1 [extract: its paragraphs on hypervisors only]
  'III-II-1':
    'Hypervisors: software that abstracts or allocates computing resources and runs, manages and orchestrates virtual machines logically separated from each other or from the physical hardware, whether on bare metal, on an operating system or nested in another virtual machine; a virtual machine is a software-defined, separated computing environment with virtualised hardware resources, typically hosting its own operating system. Named as included: type 1, type 2 and hybrid hypervisors. The copy read gives only the point on hypervisors: what it says of container runtime systems is not summarised here.',
  // Annex I, Class II, point 2 [extract: its paragraphs on firewalls only]
  'III-II-2':
    'Firewalls: products that protect a connected network or system from unauthorised access by monitoring and restricting the traffic to and from that network. Named as included: network firewalls and application firewalls such as web application firewalls or filters, and anti-spam gateways. The copy read gives only the point on firewalls: what it says of intrusion detection and prevention systems is not summarised here.',
  // Annex I, Class II, point 3 [extract]
  'III-II-3':
    'Microprocessors with security-related functionalities as described in Class I, point 13, that also provide tamper evidence, resistance or response and are designed to give protection at AVA_VAN level 2 or 3 as set out in the Common Criteria and the Common Evaluation Methodology.',
  // Annex I, Class II, point 4 [extract]
  'III-II-4':
    'Microcontrollers with security-related functionalities as described in Class I, point 14, that also provide tamper evidence, resistance or response and are designed to give protection at AVA_VAN level 2 or 3 as set out in the Common Criteria and the Common Evaluation Methodology.',
  // Annex II, point 1 [OJ-copy]; [extract] agrees
  'IV-1':
    'Hardware products built from several discrete components inside a physical hardware enclosure that securely store, process or manage sensitive data or perform cryptographic operations, and that detect, resist or respond to tampering as a defence against physical attacks. Named as included, where they fit that description: physical payment terminals, hardware security modules that generate and manage cryptographic material, tachographs.',
  // Annex II, point 2 [OJ-copy]; [extract] agrees
  'IV-2':
    'Gateways that control the communication between the components of a smart metering system (Directive (EU) 2019/944, Art 2(23)), or components connected to it, and authorised third parties such as utilities: they collect, process and store metering or personal data, protect data flows with specific cryptographic functions (encryption and decryption), include firewall functions and provide means to control other devices. Named as included: gateways of smart metering systems for electricity; gateways of other smart metering systems (gas, heat) may be covered too.',
  // Annex II, point 3 [extract: its paragraphs on secure elements only]
  'IV-3':
    'Secure elements: microcontrollers or microprocessors with security-related functionalities, tamper evidence, resistance or response included, that typically store, process or manage cryptographic operations or sensitive data such as identity or payment credentials and are designed to give protection of at least AVA_VAN.4 (Common Criteria or Common Evaluation Methodology); discrete silicon or integrated into a system on chip, possibly with an application environment or operating system and one or more applications. Named as included: Trusted Platform Modules and embedded UICCs. The copy read gives only the point on secure elements: what it says of smartcards and similar devices is not summarised here.',
};

/**
 * Entries whose summary covers only part of their point (the copy read was cut short: see [extract]
 * above); each summary ends by naming the part it leaves out.
 */
export const partlyDescribed: readonly string[] = Object.freeze(['III-I-12', 'III-I-15', 'III-I-18', 'III-I-19', 'III-II-1', 'III-II-2', 'IV-3']);

export const annexEntries: readonly AnnexEntry[] = Object.freeze([
  ...annexIIIClassI.map((title, i) => entry({ id: `III-I-${i + 1}`, annex: 'III', class: 'I', point: i + 1, category: 'important-1', title })),
  ...annexIIIClassII.map((title, i) => entry({ id: `III-II-${i + 1}`, annex: 'III', class: 'II', point: i + 1, category: 'important-2', title })),
  ...annexIV.map((title, i) => entry({ id: `IV-${i + 1}`, annex: 'IV', class: null, point: i + 1, category: 'critical', title })),
]);

function entry(e: Omit<AnnexEntry, 'source' | 'technicalDescription' | 'description'>): AnnexEntry {
  const where = e.annex === 'IV' ? `Annex IV, point ${e.point}` : `Annex III, class ${e.class}, point ${e.point}`;
  // Implementing Regulation (EU) 2025/2392: Annex I (important products) by class, Annex II (critical products); points numbered as the CRA's
  const described = e.annex === 'IV' ? `Annex II, point ${e.point}` : `Annex I, Class ${e.class}, point ${e.point}`;
  return Object.freeze({
    ...e,
    source: `Regulation (EU) 2024/2847 (${CRA_OJ_REFERENCE}), ${where}`,
    technicalDescription: `Commission Implementing Regulation (EU) 2025/2392 (${TECHNICAL_DESCRIPTIONS_OJ_REFERENCE}), ${described}`,
    description: descriptions[e.id] ?? null,
  });
}

const byId = new Map(annexEntries.map((e) => [e.id, e]));

export function findAnnexEntry(id: string): AnnexEntry | undefined {
  return byId.get(id);
}
