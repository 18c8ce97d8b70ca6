// The members' display names, by the family id a model file stores (its info's `family`), as
// `ganzoo models` prints them: the one map the page and the live view name a model's family
// from (tests/web/page_test.mjs checks it against the CLI). A family not here shows its id.
export const FAMILY_TITLES = Object.freeze({
  dcgan: 'DCGAN',
  wgan: 'WGAN',
  'wgan-gp': 'WGAN-GP',
  began: 'BEGAN',
  'improved-dcgan': 'Improved DCGAN',
  cgan: 'Conditional GAN',
  infogan: 'InfoGAN',
  cyclegan: 'CycleGAN',
  progan: 'ProGAN',
});

export function familyTitle(family) {
  return Object.hasOwn(FAMILY_TITLES, family) ? FAMILY_TITLES[family] : String(family ?? '');
}
